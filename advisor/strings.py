"""The sentences that frame an answer, in English, French and Dutch; every door says them the same way.

What a door says around an answer lives with the door: bot/strings.py (the example questions every door offers),
bot/telegram/strings.py (Telegram's messages and menu), bot/web/strings.py (the widget's words).
"""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "intro_one": "This is what the guidance says:",
        "intro_many": "This is what the guidance says, in these passages:",
        "weak": "The guidance may not answer this directly; this is the closest it comes:",
        "part_missing": "The guidance does not cover this part of your question: “{part}”.",
        "intro_rest": "On the rest of your question, this is what the guidance says:",
        "other_language": "I can answer questions in English, French or Dutch. Please ask again in one of them.",
        "no_question": "I could not find a question in your message. Ask in a sentence, for example: "
                       "“Can I keep working with my Russian co-author?”",
        "context": "Reading this as a follow-up to your earlier question: “{previous}”",
        "context_new": "Reading this as: “{subject}”, with “{borrowed}” from your earlier question",
        "context_alone": "Reading this as a new subject: “{subject}”",
        "no_earlier": "Your message seems to follow on from a question before it, but this conversation has none (it "
                      "is new, or it has expired). Please ask your question in full.",
        "not_covered": "The guidance I can quote, on working with Russian institutions and colleagues since the Belgian "
                       "rectors' decision of March 2022, does not cover this question, and I will not guess.",
        "ask_contact": "Please ask {contact}.",
        "reviewed_topic": "Questions an admin marked as not covered",
        "reviewed_gap": "An admin has already looked at questions like this one and found that the guidance I can quote "
                        "does not cover them.",
        "known_gap": "This question is a known gap of the guidance I can quote (topic: “{topic}”).",
        "footer": "These are quotes, not legal advice. For your own situation, ask {contact}.",
        "official": "official text",
        "summary": "summary",
        "summary_source": "A source of this summary: {url}",
        "translation": "Unofficial translation",
        "translation_passage": "Unofficial translation of the whole paragraph",
        "translation_note": "Unofficial translation; only the original text governs.",
        "summary_label": "Generated summary — not guidance",
        "greeting": "Hello! Ask me about working with Russian colleagues — a co-authored paper, a PhD student from Moscow, an Erasmus agreement, a visiting scholar — and I will quote the guidance that applies, with its source.",
        "thanks": "You are welcome. Ask again whenever you need to.",
        "help": "Ask a question in a sentence, in English, French or Dutch, for example: “Can I keep working with my Russian co-author?” I reply with the passages of the guidance that answer it, each with its source, or I say that the guidance does not cover it.",
        "empty": "Please type a question, for example: “Can I keep working with my Russian co-author?”",
        "too_long": "Your question is {length} characters long; the limit is {limit}. Please shorten it.",
        "contact": "your university's research office or international relations office "
                   "(for sanctions and export control, its export-control or knowledge-security contact)",
    },
    "fr": {
        "intro_one": "Voici ce que disent les textes :",
        "intro_many": "Voici ce que disent les textes, dans ces passages :",
        "weak": "Les textes ne répondent peut-être pas directement ; voici ce qui s'en approche le plus :",
        "part_missing": "Les textes ne couvrent pas cette partie de votre question : « {part} ».",
        "intro_rest": "Sur le reste de votre question, voici ce que disent les textes :",
        "other_language": "Je réponds aux questions en français, en anglais ou en néerlandais. "
                          "Posez-la à nouveau dans l'une de ces langues.",
        "no_question": "Je ne trouve pas de question dans votre message. Posez-la en une phrase, par exemple : "
                       "« Puis-je poursuivre ma collaboration avec un collègue russe ? »",
        "context": "Compris comme la suite de votre question précédente : « {previous} »",
        "context_new": "Compris comme : « {subject} », avec « {borrowed} » repris de votre question précédente",
        "context_alone": "Compris comme un nouveau sujet : « {subject} »",
        "no_earlier": "Votre message renvoie à une question précédente, mais cette conversation n'en a pas (elle est "
                      "nouvelle, ou elle a expiré). Posez votre question en entier.",
        "not_covered": "Les textes que je peux citer, sur la collaboration avec des institutions et des collègues russes "
                       "depuis la décision des recteurs belges de mars 2022, ne couvrent pas cette question, et je ne "
                       "veux pas deviner.",
        "ask_contact": "Adressez-vous à {contact}.",
        "reviewed_topic": "Questions qu'un administrateur a jugées non couvertes",
        "reviewed_gap": "Un administrateur a déjà examiné des questions comme celle-ci et constaté que les textes que je "
                        "peux citer ne les couvrent pas.",
        "known_gap": "Cette question est une lacune connue des textes que je peux citer (sujet : « {topic} »).",
        "footer": "Ce sont des citations, pas un avis juridique. Pour votre situation, adressez-vous à {contact}.",
        "official": "texte officiel",
        "summary": "résumé",
        "summary_source": "Une source de ce résumé : {url}",
        "translation": "Traduction non officielle",
        "translation_passage": "Traduction non officielle de tout le paragraphe",
        "translation_note": "Traduction non officielle ; seul le texte original fait foi.",
        "summary_label": "Résumé généré — pas une consigne",
        "greeting": "Bonjour ! Posez-moi vos questions sur la collaboration avec des collègues russes — un article cosigné, un doctorant venu de Moscou, un accord Erasmus, un chercheur invité — et je citerai les textes qui s'appliquent, avec leur source.",
        "thanks": "Avec plaisir. Revenez quand vous voulez.",
        "help": "Posez une question en une phrase, en français, en anglais ou en néerlandais, par exemple : « Puis-je continuer à publier avec un coauteur russe ? » Je réponds par les passages des textes qui y répondent, chacun avec sa source, ou je dis que les textes ne la couvrent pas.",
        "empty": "Posez une question, par exemple : « Puis-je poursuivre ma collaboration avec un collègue russe ? »",
        "too_long": "Votre question compte {length} caractères ; la limite est de {limit}. Raccourcissez-la.",
        "contact": "l'administration de la recherche ou au service des relations internationales de votre université "
                   "(pour les sanctions et le contrôle des exportations, à son contact « contrôle des exportations » "
                   "ou « sécurité de la connaissance »)",
    },
    "nl": {
        "intro_one": "Dit zeggen de richtlijnen:",
        "intro_many": "Dit zeggen de richtlijnen, in deze passages:",
        "weak": "De richtlijnen beantwoorden dit misschien niet rechtstreeks; dit komt er het dichtst bij:",
        "part_missing": "Dit deel van uw vraag behandelen de richtlijnen niet: “{part}”.",
        "intro_rest": "Over de rest van uw vraag zeggen de richtlijnen dit:",
        "other_language": "Ik beantwoord vragen in het Nederlands, Engels of Frans. Stel uw vraag opnieuw in een van die talen.",
        "no_question": "Ik vind geen vraag in uw bericht. Stel ze in een zin, bijvoorbeeld: "
                       "“Mag ik blijven samenwerken met mijn Russische coauteur?”",
        "context": "Gelezen als vervolg op uw vorige vraag: “{previous}”",
        "context_new": "Gelezen als: “{subject}”, met “{borrowed}” overgenomen uit uw vorige vraag",
        "context_alone": "Gelezen als een nieuw onderwerp: “{subject}”",
        "no_earlier": "Uw bericht verwijst naar een eerdere vraag, maar dit gesprek heeft er geen (het is nieuw, of "
                      "het is verlopen). Stel uw vraag volledig.",
        "not_covered": "De teksten die ik kan citeren, over samenwerken met Russische instellingen en collega's sinds de "
                       "beslissing van de Belgische rectoren van maart 2022, behandelen deze vraag niet, en ik ga niet "
                       "gissen.",
        "ask_contact": "Neem contact op met {contact}.",
        "reviewed_topic": "Vragen waarvan een beheerder oordeelde dat de teksten ze niet behandelen",
        "reviewed_gap": "Een beheerder heeft vragen als deze al bekeken en vastgesteld dat de teksten die ik kan citeren "
                        "ze niet behandelen.",
        "known_gap": "Deze vraag is een bekende leemte in de richtlijnen die ik kan citeren (onderwerp: “{topic}”).",
        "footer": "Dit zijn citaten, geen juridisch advies. Voor uw eigen situatie: neem contact op met {contact}.",
        "official": "officiële tekst",
        "summary": "samenvatting",
        "summary_source": "Een bron van deze samenvatting: {url}",
        "translation": "Niet-officiële vertaling",
        "translation_passage": "Niet-officiële vertaling van de hele alinea",
        "translation_note": "Niet-officiële vertaling; alleen de oorspronkelijke tekst is rechtsgeldig.",
        "summary_label": "Gegenereerde samenvatting — geen richtlijn",
        "greeting": "Hallo! Stel me uw vragen over samenwerken met Russische collega's — een gezamenlijk artikel, een doctorandus uit Moskou, een Erasmusakkoord, een gastonderzoeker — en ik citeer de richtlijnen die gelden, met hun bron.",
        "thanks": "Graag gedaan. Vraag gerust opnieuw wanneer u wilt.",
        "help": "Stel een vraag in een zin, in het Nederlands, Engels of Frans, bijvoorbeeld: „Mag ik blijven samenwerken met mijn Russische coauteur?” Ik antwoord met de passages uit de richtlijnen die erop antwoorden, elk met de bron, of ik zeg dat de richtlijnen er niets over zeggen.",
        "empty": "Stel een vraag, bijvoorbeeld: “Mag ik blijven samenwerken met mijn Russische coauteur?”",
        "too_long": "Uw vraag telt {length} tekens; de limiet is {limit}. Maak ze korter.",
        "contact": "de onderzoekscoördinatie of de dienst internationale relaties van uw universiteit "
                   "(voor sancties en exportcontrole: het aanspreekpunt exportcontrole of kennisveiligheid)",
    },
}


def t(language: str, key: str, **values) -> str:
    table = STRINGS.get(language, STRINGS["en"])
    return table[key].format(**values)
