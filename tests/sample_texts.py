"""Texts the embedding tests share: questions in three languages, a one-letter text, symbols, and a paragraph
longer than the models read."""

LONG = " ".join(["Researchers may keep individual contacts with Russian colleagues, but institutional agreements "
                 "with Russian universities are suspended until further notice, and every exchange of data, "
                 "samples or equipment must be checked against the sanctions and export-control rules first."] * 10)
TEXTS = [
    "Can I keep working with my Russian co-author?",
    "Les étudiants russes sont-ils encore les bienvenus ?",
    "Wat betekent de opschorting voor mijn eigen onderzoek?",
    "Is our exchange agreement with a Russian university suspended?",
    "Puis-je envoyer des données non publiées à un collègue à Moscou ?",
    "Mag ik nog samenwerken met Russische collega's in een EU-project?",
    "dual-use export control: e-mailing source code to Russia",
    "a",
    "Ünïcödé, emoji 🙂 and punctuation?!…",
    LONG,
]
