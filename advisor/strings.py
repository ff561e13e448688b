"""Every sentence the advisor says in its own words, in English, French and Dutch: one table for every channel.

STRINGS frame an answer (the core); CHAT is what a chat door says around it (Telegram); EXAMPLES are the
example questions every door offers; COMMANDS is Telegram's menu; WIDGET is the web widget's, served to it as JSON.
"""
from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "intro_one": "This is what the guidance says:",
        "intro_many": "These passages of the guidance answer your question:",
        "weak": "The guidance may not answer this directly; this is the closest it comes:",
        "part_missing": "The guidance does not cover this part of your question: “{part}”.",
        "other_language": "I can answer questions in English, French or Dutch. Please ask again in one of them.",
        "no_question": "I could not find a question in your message. Ask in a sentence, for example: "
                       "“Can I keep working with my Russian co-author?”",
        "context": "Taken together with your earlier question: “{previous}”",
        "not_covered": "The guidance I can quote does not cover this question, and I will not guess.",
        "ask_contact": "Please ask {contact}.",
        "footer": "These are quotes, not legal advice. For your own situation, ask {contact}.",
        "official": "official text",
        "summary": "summary",
        "translation": "Unofficial translation",
        "translation_note": "Unofficial translation; only the original text governs.",
        "summary_label": "Generated summary — not guidance",
        "greeting": "Hello! Ask me about working with Russian colleagues — a co-authored paper, a PhD student from Moscow, an Erasmus agreement, a visiting scholar — and I will quote the guidance that applies, with its source.",
        "thanks": "You are welcome. Ask again whenever you need to.",
        "help": "Ask a question in a sentence, in English, French or Dutch, for example: “Can I keep working with my Russian co-author?” I reply with the passages of the guidance that answer it, each with its source, or I say that the guidance does not cover it.",
        "empty": "Please type a question, for example: “Can I keep working with my Russian co-author?”",
        "too_long": "Your question is {length} characters long; please keep it under {limit} characters.",
        "contact": "your university's research office or international relations office "
                   "(for sanctions and export control, its export-control or knowledge-security contact)",
    },
    "fr": {
        "intro_one": "Voici ce que disent les textes :",
        "intro_many": "Ces passages des textes répondent à votre question :",
        "weak": "Les textes ne répondent peut-être pas directement ; voici ce qui s'en approche le plus :",
        "part_missing": "Les textes ne couvrent pas cette partie de votre question : « {part} ».",
        "other_language": "Je réponds aux questions en français, en anglais ou en néerlandais. "
                          "Posez-la à nouveau dans l'une de ces langues.",
        "no_question": "Je ne trouve pas de question dans votre message. Posez-la en une phrase, par exemple : "
                       "« Puis-je poursuivre ma collaboration avec un collègue russe ? »",
        "context": "Compris avec votre question précédente : « {previous} »",
        "not_covered": "Les textes que je peux citer ne couvrent pas cette question, et je ne veux pas deviner.",
        "ask_contact": "Adressez-vous à {contact}.",
        "footer": "Ce sont des citations, pas un avis juridique. Pour votre situation, adressez-vous à {contact}.",
        "official": "texte officiel",
        "summary": "résumé",
        "translation": "Traduction non officielle",
        "translation_note": "Traduction non officielle ; seul le texte original fait foi.",
        "summary_label": "Résumé généré — pas une consigne",
        "greeting": "Bonjour ! Posez-moi vos questions sur la collaboration avec des collègues russes — un article cosigné, un doctorant venu de Moscou, un accord Erasmus, un chercheur invité — et je citerai les textes qui s'appliquent, avec leur source.",
        "thanks": "Avec plaisir. Revenez quand vous voulez.",
        "help": "Posez une question en une phrase, en français, en anglais ou en néerlandais, par exemple : « Puis-je continuer à publier avec un coauteur russe ? » Je réponds par les passages des textes qui y répondent, chacun avec sa source, ou je dis que les textes ne la couvrent pas.",
        "empty": "Posez une question, par exemple : « Puis-je poursuivre ma collaboration avec un collègue russe ? »",
        "too_long": "Votre question compte {length} caractères ; limitez-la à {limit} caractères.",
        "contact": "l'administration de la recherche ou le service des relations internationales de votre université "
                   "(pour les sanctions et le contrôle des exportations, son contact « contrôle des exportations » "
                   "ou « sécurité de la connaissance »)",
    },
    "nl": {
        "intro_one": "Dit zeggen de richtlijnen:",
        "intro_many": "Deze passages uit de richtlijnen beantwoorden uw vraag:",
        "weak": "De richtlijnen beantwoorden dit misschien niet rechtstreeks; dit komt er het dichtst bij:",
        "part_missing": "Dit deel van uw vraag behandelen de richtlijnen niet: “{part}”.",
        "other_language": "Ik beantwoord vragen in het Nederlands, Engels of Frans. Stel uw vraag opnieuw in een van die talen.",
        "no_question": "Ik vind geen vraag in uw bericht. Stel ze in een zin, bijvoorbeeld: "
                       "“Mag ik blijven samenwerken met mijn Russische coauteur?”",
        "context": "Gelezen samen met uw vorige vraag: “{previous}”",
        "not_covered": "De teksten die ik kan citeren behandelen deze vraag niet, en ik ga niet gissen.",
        "ask_contact": "Neem contact op met {contact}.",
        "footer": "Dit zijn citaten, geen juridisch advies. Voor uw eigen situatie: neem contact op met {contact}.",
        "official": "officiële tekst",
        "summary": "samenvatting",
        "translation": "Niet-officiële vertaling",
        "translation_note": "Niet-officiële vertaling; alleen de oorspronkelijke tekst is rechtsgeldig.",
        "summary_label": "Gegenereerde samenvatting — geen richtlijn",
        "greeting": "Hallo! Stel me uw vragen over samenwerken met Russische collega's — een gezamenlijk artikel, een doctorandus uit Moskou, een Erasmusakkoord, een gastonderzoeker — en ik citeer de richtlijnen die gelden, met hun bron.",
        "thanks": "Graag gedaan. Vraag gerust opnieuw wanneer u wilt.",
        "help": "Stel een vraag in een zin, in het Nederlands, Engels of Frans, bijvoorbeeld: „Mag ik blijven samenwerken met mijn Russische coauteur?” Ik antwoord met de passages uit de richtlijnen die erop antwoorden, elk met de bron, of ik zeg dat de richtlijnen er niets over zeggen.",
        "empty": "Stel een vraag, bijvoorbeeld: “Mag ik blijven samenwerken met mijn Russische coauteur?”",
        "too_long": "Uw vraag telt {length} tekens; houd ze onder {limit} tekens.",
        "contact": "de onderzoekscoördinatie of de dienst internationale relaties van uw universiteit "
                   "(voor sancties en exportcontrole: het aanspreekpunt exportcontrole of kennisveiligheid)",
    },
}


def t(language: str, key: str, **values) -> str:
    table = STRINGS.get(language, STRINGS["en"])
    return table[key].format(**values)


# What a chat door says in its own words (Telegram renders these as HTML).
CHAT: dict[str, dict[str, str]] = {
    "en": {
        "start": "Hello! I answer questions about working with Russian colleagues — the Belgian universities' "
                 "suspension of relations, EU sanctions, export control, funders' rules, knowledge security — "
                 "by quoting the guidance word for word, with its source.\n\n"
                 "I only quote; this is not legal advice. Ask in English, French or Dutch, or try one of these:",
        "help": "Type your question as a normal message. I reply with the passages of the guidance that answer it, "
                "each with its source and a link, or I tell you honestly that the guidance does not cover it.\n\n"
                "In a group, mention me or reply to one of my messages.\n\n"
                "/new – a new conversation (a follow-up such as “and for PhD students?” is read with the question before)\n"
                "/sources – the documents I quote\n/about – what this advisor is\n"
                "/subscribe – a short notice when the guidance changes\n/unsubscribe – stop those notices",
        "new": "A new conversation: your next question is read on its own.",
        "help_admin": "Admin: /stats, /gaps, /reingest, /remove NAME, /rollback [VERSION], or send me a document (PDF, DOCX, "
                      "HTML, MD, TXT) to add it; its caption may give its details, a line each (title: …, issuer: …, "
                      "date: 2024-05-02, url: https://…, authority: official, language: en) and a line replace.",
        "remove_usage": "Name the document to remove, as /sources lists it, e.g. /remove guidance/a.md",
        "rolled_back": "Now serving knowledge version {version}.",
        "about": "Collaboration Advisor quotes published guidance on research collaboration with Russian "
                 "colleagues. It never writes an answer of its own: every quote is an exact passage of a document, "
                 "shown with its issuer, date and link. Translations into French and Dutch are unofficial.\n\n"
                 "It is not legal advice. For your own situation, ask {contact}.\n\n"
                 "Knowledge version: {version} · {documents} documents.",
        "sources": "The documents I quote ({count}):",
        "examples": "Example questions",
        "passage_button": "📄 Full passage {n}",
        "in_context": "Read it in its place in the document",
        "helpful": "👍 Helpful",
        "not_helpful": "👎 Not helpful",
        "thanks": "Thank you — your feedback is recorded.",
        "question_gone": "I can no longer find that question.",
        "passage_gone": "That passage is no longer in the guidance. Please ask your question again.",
        "not_text": "I can only read text. Please type your question as a message.",
        "edited": "I answer new messages only. Please send your corrected question as a new message.",
        "unknown_command": "I don't know the command {command}. /help lists what I can do.",
        "rate_limited": "You are asking faster than I can answer carefully. Please wait about {seconds} seconds "
                        "and ask again.",
        "not_allowed": "This advisor is open to a closed group of users only. Ask the person who runs it to add you.",
        "admin_only": "Sorry, only the advisor's administrators can do that.",
        "error": "Sorry, something went wrong on my side. Please try again in a moment.",
        "unavailable": "The guidance is not available right now. Please try again in a few minutes.",
        "subscribed": "Done: I will send you a short notice when documents are added to or changed in the guidance. "
                      "/unsubscribe stops it.",
        "already_subscribed": "You are already subscribed to change notices. /unsubscribe stops them.",
        "unsubscribed": "Done: no more change notices.",
        "not_subscribed": "You were not subscribed to change notices. /subscribe starts them.",
        "notice": "📢 The guidance I quote has been updated (version {version}).",
        "notice_added": "New:",
        "notice_changed": "Updated:",
        "notice_more": "and {count} more",
        "notice_ask": "Ask me about it, for example by naming the topic.",
        "working": "Working on it; this can take a minute…",
        "bad_upload_type": "I can add PDF, DOCX, HTML, Markdown or text files; {name} is none of these.",
        "upload_too_big": "{name} is {size} KiB; the limit is {limit} KiB.",
        "upload_failed": "I could not add the document: {reason}",
        "upload_exists": "{name} is already in the guidance. Replace it with the file you sent? Nothing changes until you choose (or send the file again with the caption: replace).",
        "replace_button": "Replace {name}",
        "keep_button": "Keep the current one",
        "replace_kept": "Nothing was changed.",
        "replace_expired": "This question has expired or was not for you: send the file again.",
        "stats": "Questions: {questions} (answered {answered}, not covered {not_covered})\n"
                 "Feedback: 👍 {helpful} · 👎 {not_helpful}\nSubscribers: {subscribers}",
        "gaps": "Recent questions the guidance did not cover:",
        "no_gaps": "No unanswered questions so far.",
    },
    "fr": {
        "start": "Bonjour ! Je réponds aux questions sur la collaboration avec des collègues russes — la suspension "
                 "des relations par les universités belges, les sanctions de l'UE, le contrôle des exportations, "
                 "les règles des bailleurs de fonds, la sécurité de la connaissance — en citant mot pour mot les "
                 "textes, avec leur source.\n\n"
                 "Je ne fais que citer ; ce n'est pas un avis juridique. Posez votre question en français, en "
                 "anglais ou en néerlandais, ou essayez l'une de celles-ci :",
        "help": "Écrivez votre question comme un message normal. Je réponds par les passages des textes qui y "
                "répondent, chacun avec sa source et un lien, ou je vous dis franchement que les textes ne couvrent "
                "pas la question.\n\n"
                "Dans un groupe, mentionnez-moi ou répondez à l'un de mes messages.\n\n"
                "/new – une nouvelle conversation (une suite comme « et pour les doctorants ? » est lue avec la question "
                "précédente)\n/sources – les documents que je cite\n/about – ce qu'est ce conseiller\n"
                "/subscribe – un court avis quand les textes changent\n/unsubscribe – arrêter ces avis",
        "new": "Nouvelle conversation : votre prochaine question sera lue seule.",
        "remove_usage": "Nommez le document à retirer tel que /sources le liste, par exemple /remove guidance/a.md",
        "rolled_back": "La version {version} des connaissances est désormais en service.",
        "help_admin": "Administration : /stats, /gaps, /reingest, /remove NOM, /rollback [VERSION], ou envoyez-moi un "
                      "document (PDF, DOCX, HTML, MD, TXT) ; sa légende peut donner ses détails, un par ligne (title: …, "
                      "issuer: …, date: 2024-05-02, url: https://…) et une ligne replace.",
        "about": "Collaboration Advisor cite des textes publiés sur la collaboration scientifique avec des collègues "
                 "russes. Il ne rédige jamais de réponse lui-même : chaque citation est un passage exact d'un "
                 "document, avec son auteur, sa date et un lien. Les traductions en français et en néerlandais ne "
                 "sont pas officielles.\n\n"
                 "Ce n'est pas un avis juridique. Pour votre situation, adressez-vous à {contact}.\n\n"
                 "Version des connaissances : {version} · {documents} documents.",
        "sources": "Les documents que je cite ({count}) :",
        "examples": "Exemples de questions",
        "passage_button": "📄 Passage complet {n}",
        "in_context": "Le lire à sa place dans le document",
        "helpful": "👍 Utile",
        "not_helpful": "👎 Pas utile",
        "thanks": "Merci — votre avis est enregistré.",
        "question_gone": "Je ne retrouve plus cette question.",
        "passage_gone": "Ce passage ne figure plus dans les textes. Posez à nouveau votre question.",
        "not_text": "Je ne lis que du texte. Écrivez votre question dans un message.",
        "edited": "Je ne réponds qu'aux nouveaux messages. Envoyez votre question corrigée dans un nouveau message.",
        "unknown_command": "Je ne connais pas la commande {command}. /help indique ce que je sais faire.",
        "rate_limited": "Vous posez des questions plus vite que je ne peux y répondre avec soin. Attendez environ "
                        "{seconds} secondes, puis reposez-la.",
        "not_allowed": "Ce conseiller est réservé à un groupe restreint d'utilisateurs. Demandez à la personne qui "
                       "le gère de vous ajouter.",
        "admin_only": "Désolé, seuls les administrateurs du conseiller peuvent faire cela.",
        "error": "Désolé, un problème est survenu de mon côté. Réessayez dans un instant.",
        "unavailable": "Les textes ne sont pas disponibles pour le moment. Réessayez dans quelques minutes.",
        "subscribed": "C'est fait : je vous enverrai un court avis quand des documents seront ajoutés ou modifiés. "
                      "/unsubscribe pour arrêter.",
        "already_subscribed": "Vous êtes déjà abonné aux avis de changement. /unsubscribe pour arrêter.",
        "unsubscribed": "C'est fait : plus d'avis de changement.",
        "not_subscribed": "Vous n'étiez pas abonné aux avis de changement. /subscribe pour vous abonner.",
        "notice": "📢 Les textes que je cite ont été mis à jour (version {version}).",
        "notice_added": "Nouveau :",
        "notice_changed": "Modifié :",
        "notice_more": "et {count} autres",
        "notice_ask": "Posez-moi vos questions à ce sujet.",
        "working": "Je m'en occupe ; cela peut prendre une minute…",
        "bad_upload_type": "Je peux ajouter des fichiers PDF, DOCX, HTML, Markdown ou texte ; {name} n'en fait pas partie.",
        "upload_too_big": "{name} fait {size} Kio ; la limite est de {limit} Kio.",
        "upload_failed": "Je n'ai pas pu ajouter le document : {reason}",
        "upload_exists": "{name} figure déjà dans les textes. Le remplacer par le fichier envoyé ? Rien ne change tant que vous n'avez pas choisi (ou renvoyez le fichier avec la légende : replace).",
        "replace_button": "Remplacer {name}",
        "keep_button": "Garder l'actuel",
        "replace_kept": "Rien n'a été modifié.",
        "replace_expired": "Cette question a expiré ou ne vous était pas destinée : renvoyez le fichier.",
        "stats": "Questions : {questions} (avec réponse {answered}, non couvertes {not_covered})\n"
                 "Avis : 👍 {helpful} · 👎 {not_helpful}\nAbonnés : {subscribers}",
        "gaps": "Questions récentes que les textes ne couvrent pas :",
        "no_gaps": "Aucune question sans réponse pour l'instant.",
    },
    "nl": {
        "start": "Hallo! Ik beantwoord vragen over samenwerken met Russische collega's — de opschorting van de "
                 "betrekkingen door de Belgische universiteiten, EU-sancties, exportcontrole, regels van "
                 "financiers, kennisveiligheid — door de richtlijnen woord voor woord te citeren, met hun bron.\n\n"
                 "Ik citeer alleen; dit is geen juridisch advies. Stel uw vraag in het Nederlands, Frans of Engels, "
                 "of probeer een van deze:",
        "help": "Typ uw vraag als gewoon bericht. Ik antwoord met de passages uit de richtlijnen die erop antwoorden, "
                "elk met bron en link, of ik zeg eerlijk dat de richtlijnen de vraag niet behandelen.\n\n"
                "In een groep: noem mij of antwoord op een van mijn berichten.\n\n"
                "/new – een nieuw gesprek (een vervolgvraag zoals „en voor doctorandi?” wordt gelezen met de vorige vraag)\n"
                "/sources – de documenten die ik citeer\n/about – wat deze adviseur is\n"
                "/subscribe – een kort bericht als de richtlijnen wijzigen\n/unsubscribe – die berichten stoppen",
        "new": "Een nieuw gesprek: uw volgende vraag wordt op zichzelf gelezen.",
        "remove_usage": "Noem het document dat weg moet zoals /sources het toont, bijvoorbeeld /remove guidance/a.md",
        "rolled_back": "Versie {version} van de kennis is nu in gebruik.",
        "help_admin": "Beheer: /stats, /gaps, /reingest, /remove NAAM, /rollback [VERSIE], of stuur mij een document "
                      "(PDF, DOCX, HTML, MD, TXT); het bijschrift kan de gegevens geven, één per regel (title: …, issuer: …, "
                      "date: 2024-05-02, url: https://…) en een regel replace.",
        "about": "Collaboration Advisor citeert gepubliceerde richtlijnen over onderzoekssamenwerking met Russische "
                 "collega's. Hij schrijft nooit zelf een antwoord: elk citaat is een letterlijke passage uit een "
                 "document, met uitgever, datum en link. Vertalingen in het Frans en Nederlands zijn niet officieel.\n\n"
                 "Dit is geen juridisch advies. Voor uw eigen situatie: neem contact op met {contact}.\n\n"
                 "Kennisversie: {version} · {documents} documenten.",
        "sources": "De documenten die ik citeer ({count}):",
        "examples": "Voorbeeldvragen",
        "passage_button": "📄 Volledige passage {n}",
        "in_context": "Lees het op zijn plaats in het document",
        "helpful": "👍 Nuttig",
        "not_helpful": "👎 Niet nuttig",
        "thanks": "Dank u — uw feedback is opgeslagen.",
        "question_gone": "Ik vind die vraag niet meer terug.",
        "passage_gone": "Die passage staat niet meer in de richtlijnen. Stel uw vraag opnieuw.",
        "not_text": "Ik kan alleen tekst lezen. Typ uw vraag in een bericht.",
        "edited": "Ik beantwoord alleen nieuwe berichten. Stuur uw verbeterde vraag als nieuw bericht.",
        "unknown_command": "Het commando {command} ken ik niet. /help toont wat ik kan.",
        "rate_limited": "U vraagt sneller dan ik zorgvuldig kan antwoorden. Wacht ongeveer {seconds} seconden en "
                        "vraag het opnieuw.",
        "not_allowed": "Deze adviseur is alleen open voor een besloten groep gebruikers. Vraag de beheerder om u "
                       "toe te voegen.",
        "admin_only": "Sorry, alleen de beheerders van de adviseur kunnen dat doen.",
        "error": "Sorry, er ging aan mijn kant iets mis. Probeer het zo meteen opnieuw.",
        "unavailable": "De richtlijnen zijn nu niet beschikbaar. Probeer het over enkele minuten opnieuw.",
        "subscribed": "Gedaan: ik stuur u een kort bericht als er documenten worden toegevoegd of gewijzigd. "
                      "/unsubscribe stopt dat.",
        "already_subscribed": "U bent al ingeschreven op wijzigingsberichten. /unsubscribe stopt ze.",
        "unsubscribed": "Gedaan: geen wijzigingsberichten meer.",
        "not_subscribed": "U was niet ingeschreven op wijzigingsberichten. /subscribe start ze.",
        "notice": "📢 De richtlijnen die ik citeer zijn bijgewerkt (versie {version}).",
        "notice_added": "Nieuw:",
        "notice_changed": "Gewijzigd:",
        "notice_more": "en nog {count}",
        "notice_ask": "Stel er gerust vragen over.",
        "working": "Ik ben ermee bezig; dit kan een minuut duren…",
        "bad_upload_type": "Ik kan PDF-, DOCX-, HTML-, Markdown- of tekstbestanden toevoegen; {name} is geen van deze.",
        "upload_too_big": "{name} is {size} KiB; de limiet is {limit} KiB.",
        "upload_failed": "Ik kon het document niet toevoegen: {reason}",
        "upload_exists": "{name} staat al in de richtlijnen. Vervangen door het bestand dat u stuurde? Er verandert niets zolang u niet kiest (of stuur het bestand opnieuw met het bijschrift replace).",
        "replace_button": "{name} vervangen",
        "keep_button": "Het huidige houden",
        "replace_kept": "Er is niets veranderd.",
        "replace_expired": "Deze vraag is verlopen of was niet voor u bedoeld: stuur het bestand opnieuw.",
        "stats": "Vragen: {questions} (beantwoord {answered}, niet behandeld {not_covered})\n"
                 "Feedback: 👍 {helpful} · 👎 {not_helpful}\nIngeschreven: {subscribers}",
        "gaps": "Recente vragen die de richtlijnen niet behandelen:",
        "no_gaps": "Nog geen onbeantwoorde vragen.",
    },
}

EXAMPLES: dict[str, tuple[str, ...]] = {
    "en": ("Can I keep working with my Russian co-author?",
           "Can a Russian student still enrol at a Belgian university?",
           "Does export control apply when I share research results with a Russian colleague?"),
    "fr": ("Puis-je continuer à travailler avec mon collègue russe sur notre projet commun ?",
           "Les recteurs belges ont-ils rompu avec toutes les universités russes ?",
           "Un étudiant russe peut-il encore s'inscrire dans une université belge ?"),
    "nl": ("Mag ik blijven samenwerken met mijn Russische coauteur?",
           "Met welke Russische universiteiten werden de banden verbroken?",
           "Kan een Russische student zich nog inschrijven aan een Belgische universiteit?"),
}

COMMANDS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (("start", "Introduction and example questions"), ("help", "How to ask"), ("new", "Start a new conversation"),
           ("sources", "The documents I quote"), ("about", "What this advisor is"),
           ("subscribe", "A notice when the guidance changes"), ("unsubscribe", "Stop change notices")),
    "fr": (("start", "Présentation et exemples de questions"), ("help", "Comment poser une question"), ("new", "Nouvelle conversation"),
           ("sources", "Les documents cités"), ("about", "Ce qu'est ce conseiller"),
           ("subscribe", "Un avis quand les textes changent"), ("unsubscribe", "Arrêter les avis")),
    "nl": (("start", "Introductie en voorbeeldvragen"), ("help", "Hoe een vraag stellen"), ("new", "Een nieuw gesprek"),
           ("sources", "De geciteerde documenten"), ("about", "Wat deze adviseur is"),
           ("subscribe", "Een bericht als de richtlijnen wijzigen"), ("unsubscribe", "Geen berichten meer")),
}


# The web widget's own words; its example questions are EXAMPLES. Served to the widget inside widget.js.
WIDGET: dict[str, dict[str, str]] = {
    "en": {
        "title": "Collaboration Advisor",
        "launch": "Ask the advisor",
        "close": "Close",
        "greeting": "Ask me about working with Russian colleagues. I answer only by quoting the guidance, with its source.",
        "input": "Your question",
        "placeholder": "Type your question…",
        "send": "Send",
        "suggested": "Suggested questions",
        "thinking": "Looking in the guidance…",
        "official": "Official text",
        "summary": "Summary, not an official text",
        "translation": "Unofficial translation",
        "generated": "Generated summary — not guidance",
        "read": "Read the source",
        "context": "Read in context",
        "notCovered": "Not covered by the guidance",
        "helped": "Did this help?",
        "yes": "Helpful",
        "no": "Not helpful",
        "thanks": "Thank you for your feedback.",
        "error": "Sorry, the advisor could not answer just now. Please try again.",
        "wait": "Too many questions at once; please wait {s} seconds.",
        "you": "You:",
        "bot": "Advisor:",
        "newChat": "New conversation",
        "copy": "Copy",
        "copyLabel": "Copy this answer with its sources",
        "copied": "Copied",
        "retry": "Try again",
        "count": "{n} / {limit} characters",
        "tooLong": "Your question is {n} characters long; the limit is {limit}. Please shorten it.",
        "dialog": "chat",
    },
    "fr": {
        "title": "Conseiller en collaborations",
        "launch": "Poser une question",
        "close": "Fermer",
        "greeting": "Posez-moi vos questions sur la collaboration avec des collègues russes. Je réponds uniquement en citant les textes, avec leur source.",
        "input": "Votre question",
        "placeholder": "Tapez votre question…",
        "send": "Envoyer",
        "suggested": "Questions suggérées",
        "thinking": "Je cherche dans les textes…",
        "official": "Texte officiel",
        "summary": "Résumé, pas un texte officiel",
        "translation": "Traduction non officielle",
        "generated": "Résumé généré — pas une consigne",
        "read": "Lire la source",
        "context": "Lire dans son contexte",
        "notCovered": "Non couvert par les textes",
        "helped": "Cette réponse vous aide-t-elle ?",
        "yes": "Utile",
        "no": "Pas utile",
        "thanks": "Merci pour votre avis.",
        "error": "Désolé, le conseiller ne peut pas répondre pour le moment. Réessayez.",
        "wait": "Trop de questions à la fois ; patientez {s} secondes.",
        "you": "Vous :",
        "bot": "Conseiller :",
        "newChat": "Nouvelle conversation",
        "copy": "Copier",
        "copyLabel": "Copier cette réponse avec ses sources",
        "copied": "Copié",
        "retry": "Réessayer",
        "count": "{n} / {limit} caractères",
        "tooLong": "Votre question compte {n} caractères ; la limite est de {limit}. Raccourcissez-la.",
        "dialog": "discussion",
    },
    "nl": {
        "title": "Samenwerkingsadviseur",
        "launch": "Stel een vraag",
        "close": "Sluiten",
        "greeting": "Stel me uw vragen over samenwerken met Russische collega's. Ik antwoord alleen met citaten uit de richtlijnen, met hun bron.",
        "input": "Uw vraag",
        "placeholder": "Typ uw vraag…",
        "send": "Verzenden",
        "suggested": "Voorgestelde vragen",
        "thinking": "Ik zoek in de richtlijnen…",
        "official": "Officiële tekst",
        "summary": "Samenvatting, geen officiële tekst",
        "translation": "Niet-officiële vertaling",
        "generated": "Gegenereerde samenvatting — geen richtlijn",
        "read": "Bron lezen",
        "context": "In context lezen",
        "notCovered": "Niet behandeld in de richtlijnen",
        "helped": "Heeft dit geholpen?",
        "yes": "Nuttig",
        "no": "Niet nuttig",
        "thanks": "Bedankt voor uw feedback.",
        "error": "Sorry, de adviseur kan nu niet antwoorden. Probeer het opnieuw.",
        "wait": "Te veel vragen tegelijk; wacht {s} seconden.",
        "you": "U:",
        "bot": "Adviseur:",
        "newChat": "Nieuw gesprek",
        "copy": "Kopiëren",
        "copyLabel": "Dit antwoord met de bronnen kopiëren",
        "copied": "Gekopieerd",
        "retry": "Opnieuw proberen",
        "count": "{n} / {limit} tekens",
        "tooLong": "Uw vraag telt {n} tekens; de limiet is {limit}. Maak ze korter.",
        "dialog": "chat",
    },
}
