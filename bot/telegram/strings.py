"""What the Telegram door says in its own words, in English, French and Dutch: its messages and its command menu.

The sentences that frame an answer are the core's (advisor/strings.py); the example questions are every door's
(bot/strings.py).
"""
from __future__ import annotations

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
        "rolled_back_moved": "Moved out of the knowledge folder into {trash}: {files}.",
        "rolled_back_restored": "Put back in the knowledge folder as they were in {version}: {files}.",
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
        "comment_prompt": "Sorry this did not help. What was missing or wrong? Reply to this message in a few words if you "
                          "like; the people who keep the guidance read it.",
        "comment_thanks": "Thank you — your comment is recorded with your vote.",
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
        "help_admin": "Administration : /stats, /gaps, /reingest, /remove NOM, /rollback [VERSION], ou envoyez-moi un "
                      "document (PDF, DOCX, HTML, MD, TXT) ; sa légende peut donner ses détails, un par ligne (title: …, "
                      "issuer: …, date: 2024-05-02, url: https://…) et une ligne replace.",
        "remove_usage": "Nommez le document à retirer tel que /sources le liste, par exemple /remove guidance/a.md",
        "rolled_back": "La version {version} des connaissances est désormais en service.",
        "rolled_back_moved": "Fichiers déplacés du dossier des connaissances vers {trash} : {files}.",
        "rolled_back_restored": "Fichiers remis dans le dossier des connaissances tels qu'ils étaient dans la version {version} : {files}.",
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
        "comment_prompt": "Désolé que cela ne vous ait pas aidé. Qu'est-ce qui manquait ou n'allait pas ? Répondez à ce "
                          "message en quelques mots si vous le souhaitez ; les personnes qui tiennent les textes à jour le liront.",
        "comment_thanks": "Merci — votre commentaire est enregistré avec votre avis.",
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
        "help_admin": "Beheer: /stats, /gaps, /reingest, /remove NAAM, /rollback [VERSIE], of stuur mij een document "
                      "(PDF, DOCX, HTML, MD, TXT); het bijschrift kan de gegevens geven, één per regel (title: …, issuer: …, "
                      "date: 2024-05-02, url: https://…) en een regel replace.",
        "remove_usage": "Noem het document dat weg moet zoals /sources het toont, bijvoorbeeld /remove guidance/a.md",
        "rolled_back": "Versie {version} van de kennis is nu in gebruik.",
        "rolled_back_moved": "Bestanden uit de kennismap verplaatst naar {trash}: {files}.",
        "rolled_back_restored": "Bestanden teruggezet in de kennismap zoals ze in versie {version} waren: {files}.",
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
        "comment_prompt": "Jammer dat dit niet hielp. Wat ontbrak er of klopte niet? Antwoord op dit bericht in een paar "
                          "woorden als u wilt; wie de richtlijnen bijhoudt, leest het.",
        "comment_thanks": "Dank u — uw opmerking is opgeslagen bij uw stem.",
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
