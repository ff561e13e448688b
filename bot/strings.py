"""The example questions every door offers, in English, French and Dutch."""
from __future__ import annotations

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
