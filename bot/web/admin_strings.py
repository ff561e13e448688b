"""The admin page's words in English, French and Dutch."""
from __future__ import annotations

ADMIN_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Collaboration Advisor: administration", "login": "Log in", "token": "Admin token",
        "login_help": "Paste the admin token you were given. It is exchanged for a session; it never appears in an address.",
        "bad_token": "That admin token is not valid.", "expired": "Your session has expired; log in again.",
        "csrf": "This form is out of date or did not come from this page; nothing changed. Reload the page and try again.",
        "logout": "Log out", "language": "Language", "skip": "Skip to the review queue",
        "review": "Questions to review", "review_help": "Questions that were declined, answered with a weak match, or "
        "rated not helpful. Pick the passage that answers each, mark it as not covered, or dismiss it. Decisions take "
        "effect when you publish and the checks pass.",
        "empty_queue": "Nothing to review.", "asked": "asked {count}×, last {when}", "confidence": "confidence {value}",
        "reason_declined": "declined", "reason_weak": "weak match", "reason_thumbs_down": "rated not helpful",
        "attach": "This passage answers it", "uncovered": "Not covered", "dismiss": "Dismiss", "view": "read in its document",
        "pending": "Decided, waiting to be published", "no_pending": "No decisions are waiting.",
        "decision_attach": "attach to {passage}", "decision_uncovered": "not covered", "by": "by {who}",
        "decided": "Entry {entry}: {decision}. It takes effect when you publish.", "dismissed": "Entry {entry} dismissed.",
        "already": "Entry {entry} was already decided so; nothing changed.", "bad_entry": "{value!r} is not an entry number.",
        "versions": "Versions", "serving": "serving", "publish": "Publish the pending decisions ({count})",
        "publish_help": "Builds a new version with the knowledge folder and the decisions, runs the checks, and serves it "
        "only if they pass.", "rollback": "Roll back to", "rollback_default": "the version that served before",
        "rolled_back": "Now serving version {version}.", "audit": "Recent changes",
        "documents": "Documents", "upload": "Add or replace a document", "file": "File", "replace": "Replace the document "
        "of the same name (tick to confirm)", "doc_title": "Title", "issuer": "Issuer", "date": "Date (YYYY-MM-DD)",
        "url": "Web address", "authority": "Authority", "official": "official text", "summary": "summary",
        "doc_language": "Language", "send": "Upload", "remove": "Remove", "confirm_remove": "Yes, remove this document",
        "last_build": "Last build", "no_build": "No build yet.", "figures": "Questions and feedback",
        "per_day": "Questions per day (last 14 days); the darker part was declined", "day": "Day", "questions": "Questions",
        "declined": "Declined", "share_declined": "Share declined", "share_down": "Share rated not helpful",
        "by_language": "By language", "most_asked": "Most-asked unanswered questions", "none": "None.",
        "published": "Published version {version}.", "not_published": "Not published: {reason}",
        "carried": "{count} decisions carried.", "version": "version", "when": "when", "who": "who", "what": "what",
        "built_ok": "Version {version} was built from {documents} documents ({passages} passages) and published.",
        "built_not": "A version was built but not published: {reason}",
        "checks_words": "The checks: {passed} of {total} questions answered as expected.",
        "checks_first": "The checks: {passed} of {total} questions answered as expected (the first version, so nothing "
                        "to compare with: it could not be refused).",
        "checks_none": "No checks ran.", "regressed": "{count} questions that were answered right before would no longer be.",
        "failed_files": "Files that could not be read: {files}.",
        "undo": "Undo", "undone": "Entry {entry} is back in the queue.",
    },
    "fr": {
        "title": "Collaboration Advisor : administration", "login": "Se connecter", "token": "Jeton d'administration",
        "login_help": "Collez le jeton d'administration reçu. Il est échangé contre une session ; il n'apparaît jamais "
        "dans une adresse.",
        "bad_token": "Ce jeton d'administration n'est pas valide.", "expired": "Votre session a expiré ; reconnectez-vous.",
        "csrf": "Ce formulaire est périmé ou ne vient pas de cette page ; rien n'a changé. Rechargez la page et réessayez.",
        "logout": "Se déconnecter", "language": "Langue", "skip": "Aller aux questions à examiner",
        "review": "Questions à examiner", "review_help": "Questions refusées, auxquelles la réponse était peu sûre, ou "
        "jugées inutiles. Choisissez le passage qui y répond, indiquez qu'elle n'est pas couverte, ou écartez-la. Les "
        "décisions prennent effet à la publication, si les contrôles réussissent.",
        "empty_queue": "Rien à examiner.", "asked": "posée {count}×, dernière fois {when}", "confidence": "confiance {value}",
        "reason_declined": "refusée", "reason_weak": "réponse peu sûre", "reason_thumbs_down": "jugée inutile",
        "attach": "Ce passage y répond", "uncovered": "Non couverte", "dismiss": "Écarter", "view": "lire dans le document",
        "pending": "Décidées, en attente de publication", "no_pending": "Aucune décision en attente.",
        "decision_attach": "rattachée à {passage}", "decision_uncovered": "non couverte", "by": "par {who}",
        "decided": "Entrée {entry} : {decision}. Effet à la publication.", "dismissed": "Entrée {entry} écartée.",
        "already": "L'entrée {entry} avait déjà reçu cette décision ; rien n'a changé.",
        "bad_entry": "{value!r} n'est pas un numéro d'entrée.",
        "versions": "Versions", "serving": "en service", "publish": "Publier les décisions en attente ({count})",
        "publish_help": "Construit une nouvelle version avec le dossier de connaissances et les décisions, lance les "
        "contrôles, et ne la met en service que s'ils réussissent.", "rollback": "Revenir à",
        "rollback_default": "la version précédemment en service", "rolled_back": "Version {version} en service.",
        "audit": "Changements récents", "documents": "Documents", "upload": "Ajouter ou remplacer un document",
        "file": "Fichier", "replace": "Remplacer le document du même nom (cochez pour confirmer)", "doc_title": "Titre",
        "issuer": "Émetteur", "date": "Date (AAAA-MM-JJ)", "url": "Adresse web", "authority": "Autorité",
        "official": "texte officiel", "summary": "résumé", "doc_language": "Langue", "send": "Envoyer",
        "remove": "Retirer", "confirm_remove": "Oui, retirer ce document", "last_build": "Dernière construction",
        "no_build": "Aucune construction pour l'instant.", "figures": "Questions et avis",
        "per_day": "Questions par jour (14 derniers jours) ; la partie foncée a été refusée", "day": "Jour",
        "questions": "Questions", "declined": "Refusées", "share_declined": "Part refusée",
        "share_down": "Part jugée inutile", "by_language": "Par langue", "most_asked": "Questions sans réponse les plus posées",
        "none": "Aucune.", "published": "Version {version} publiée.", "not_published": "Non publiée : {reason}",
        "carried": "{count} décisions incluses.", "version": "version", "when": "quand", "who": "qui", "what": "quoi",
        "built_ok": "La version {version} a été construite à partir de {documents} documents ({passages} passages) et publiée.",
        "built_not": "Une version a été construite mais pas publiée : {reason}",
        "checks_words": "Les contrôles : {passed} questions sur {total} ont reçu la réponse attendue.",
        "checks_first": "Les contrôles : {passed} questions sur {total} ont reçu la réponse attendue (la première "
                        "version, sans rien à quoi la comparer : elle ne pouvait pas être refusée).",
        "checks_none": "Aucun contrôle n'a été lancé.",
        "regressed": "{count} questions qui recevaient la bonne réponse ne la recevraient plus.",
        "failed_files": "Fichiers illisibles : {files}.",
        "undo": "Annuler", "undone": "L'entrée {entry} est de retour dans la liste.",
    },
    "nl": {
        "title": "Collaboration Advisor: beheer", "login": "Aanmelden", "token": "Beheertoken",
        "login_help": "Plak het beheertoken dat u kreeg. Het wordt ingeruild voor een sessie en staat nooit in een adres.",
        "bad_token": "Dat beheertoken is niet geldig.", "expired": "Uw sessie is verlopen; meld u opnieuw aan.",
        "csrf": "Dit formulier is verouderd of komt niet van deze pagina; er is niets veranderd. Laad de pagina opnieuw.",
        "logout": "Afmelden", "language": "Taal", "skip": "Naar de te beoordelen vragen",
        "review": "Te beoordelen vragen", "review_help": "Vragen die geweigerd werden, een zwak antwoord kregen of als niet "
        "nuttig beoordeeld werden. Kies de passage die erop antwoordt, markeer ze als niet gedekt, of leg ze naast u "
        "neer. Beslissingen gelden zodra u publiceert en de controles slagen.",
        "empty_queue": "Niets te beoordelen.", "asked": "{count}× gesteld, laatst {when}", "confidence": "zekerheid {value}",
        "reason_declined": "geweigerd", "reason_weak": "zwak antwoord", "reason_thumbs_down": "niet nuttig",
        "attach": "Deze passage beantwoordt ze", "uncovered": "Niet gedekt", "dismiss": "Negeren",
        "view": "lezen in het document", "pending": "Beslist, wacht op publicatie", "no_pending": "Geen wachtende beslissingen.",
        "decision_attach": "gekoppeld aan {passage}", "decision_uncovered": "niet gedekt", "by": "door {who}",
        "decided": "Vraag {entry}: {decision}. Geldt na publicatie.", "dismissed": "Vraag {entry} genegeerd.",
        "already": "Over vraag {entry} was al zo beslist; er is niets veranderd.",
        "bad_entry": "{value!r} is geen vraagnummer.",
        "versions": "Versies", "serving": "in gebruik", "publish": "Wachtende beslissingen publiceren ({count})",
        "publish_help": "Bouwt een nieuwe versie met de kennismap en de beslissingen, voert de controles uit en neemt ze "
        "alleen in gebruik als ze slagen.", "rollback": "Terug naar", "rollback_default": "de versie die eerder in gebruik was",
        "rolled_back": "Versie {version} is nu in gebruik.", "audit": "Recente wijzigingen", "documents": "Documenten",
        "upload": "Een document toevoegen of vervangen", "file": "Bestand",
        "replace": "Het document met dezelfde naam vervangen (aanvinken om te bevestigen)", "doc_title": "Titel",
        "issuer": "Uitgever", "date": "Datum (JJJJ-MM-DD)", "url": "Webadres", "authority": "Gezag",
        "official": "officiële tekst", "summary": "samenvatting", "doc_language": "Taal", "send": "Uploaden",
        "remove": "Verwijderen", "confirm_remove": "Ja, dit document verwijderen", "last_build": "Laatste bouw",
        "no_build": "Nog niets gebouwd.", "figures": "Vragen en beoordelingen",
        "per_day": "Vragen per dag (laatste 14 dagen); het donkere deel werd geweigerd", "day": "Dag",
        "questions": "Vragen", "declined": "Geweigerd", "share_declined": "Aandeel geweigerd",
        "share_down": "Aandeel niet nuttig", "by_language": "Per taal", "most_asked": "Meest gestelde onbeantwoorde vragen",
        "none": "Geen.", "published": "Versie {version} gepubliceerd.", "not_published": "Niet gepubliceerd: {reason}",
        "carried": "{count} beslissingen meegenomen.", "version": "versie", "when": "wanneer", "who": "wie", "what": "wat",
        "built_ok": "Versie {version} werd gebouwd uit {documents} documenten ({passages} passages) en gepubliceerd.",
        "built_not": "Er werd een versie gebouwd maar niet gepubliceerd: {reason}",
        "checks_words": "De controles: {passed} van {total} vragen kregen het verwachte antwoord.",
        "checks_first": "De controles: {passed} van {total} vragen kregen het verwachte antwoord (de eerste versie, "
                        "zonder iets om mee te vergelijken: ze kon niet geweigerd worden).",
        "checks_none": "Er liepen geen controles.",
        "regressed": "{count} vragen die eerder juist beantwoord werden, zouden dat niet meer zijn.",
        "failed_files": "Bestanden die niet gelezen konden worden: {files}.",
        "undo": "Ongedaan maken", "undone": "Vraag {entry} staat weer in de lijst.",
    },
}


def admin_text(language: str, key: str, **values) -> str:
    text = ADMIN_TEXT.get(language, ADMIN_TEXT["en"]).get(key) or ADMIN_TEXT["en"][key]
    return text.format(**values) if values else text
