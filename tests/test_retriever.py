"""The advisor as a LangChain retriever over the real store: the quotes as Documents, silence as [], sync and async."""
from __future__ import annotations

import asyncio
import threading

import pytest
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from advisor.answer import Advisor
from bench.fake_chat import replying
from integrations.retriever import AdvisorRetriever

QUESTION = "Can I keep working with my Russian co-author?"
METADATA = {"document", "title", "issuer", "date", "authority", "url", "passage_id", "score", "language"}


def test_invoke_returns_the_quotes_the_advisor_shows_with_their_sources(advisor):
    documents = AdvisorRetriever(advisor=advisor).invoke(QUESTION)
    quotes = advisor.ask(QUESTION).quotes
    assert documents and [d.page_content for d in documents] == [q.text for q in quotes]
    for document, quote in zip(documents, quotes):
        assert isinstance(document, Document) and document.id == quote.passage_id
        assert set(document.metadata) == METADATA  # no translation for an English question, no server to link to
        assert document.metadata["title"] == quote.title and document.metadata["url"] == quote.url
        assert document.metadata["authority"] in ("official", "summary") and document.metadata["score"] > 0
        assert document.page_content in advisor.passage(quote.passage_id).text


def test_a_french_question_carries_the_translation_and_links_to_the_quote_in_its_document(advisor):
    retriever = AdvisorRetriever(advisor=advisor, base_url="https://advisor.example.edu/")
    [first, *_] = retriever.invoke("Puis-je continuer à travailler avec mon collègue russe sur notre projet commun ?")
    assert first.metadata["language"] == "fr" and first.metadata["translation_language"] == "fr"
    assert first.metadata["translation"] and first.metadata["translation"] != first.page_content
    path, passage = first.metadata["document"], first.metadata["passage_id"]
    assert path.endswith(".md") and " " not in path
    # the same link the web answer gives: the document with the French translation beside each paragraph
    assert first.metadata["view_url"] == f"https://advisor.example.edu/documents/{path}?lang=fr#{passage}"


@pytest.mark.parametrize("question", ["How much does a parking permit cost on campus?", "Hello!", "Wie viel kostet das?"])
def test_silence_is_an_empty_list(advisor, question):
    assert AdvisorRetriever(advisor=advisor).invoke(question) == []


def test_the_retriever_never_asks_the_chat_model(advisor, embedder):
    model = replying("The rectors leave the decision to you [1].")
    summarizing = Advisor(advisor.settings, embedder, snapshot=advisor.refresh().snapshot, chat_model=model)
    assert AdvisorRetriever(advisor=summarizing).invoke(QUESTION)
    assert model.received == []


class GatedAdvisor(Advisor):
    """Answers only once the test's event loop lets it: a retriever that blocked the loop would never be let."""

    started = threading.Event()
    release = threading.Event()

    def ask(self, *args, **kwargs):
        self.started.set()
        if not self.release.wait(10):
            raise AssertionError("the event loop was blocked while the advisor worked")
        return super().ask(*args, **kwargs)


async def test_ainvoke_answers_in_a_thread_and_leaves_the_event_loop_free(advisor, embedder):
    gated = GatedAdvisor(advisor.settings, embedder, snapshot=advisor.refresh().snapshot)
    call = asyncio.create_task(AdvisorRetriever(advisor=gated).ainvoke(QUESTION))
    assert await asyncio.to_thread(gated.started.wait, 10)
    gated.release.set()  # only a free event loop gets here while the advisor is still working
    documents = await call
    assert [d.page_content for d in documents] == [q.text for q in advisor.ask(QUESTION).quotes]


def test_in_an_lcel_chain_the_quotes_reach_the_prompt(advisor):
    def numbered(documents: list[Document]) -> str:
        return "\n\n".join(f"[{n}] {d.page_content} ({d.metadata['title']}, {d.metadata['date']})"
                           for n, d in enumerate(documents, 1)) or "(the guidance is silent)"

    prompt = ChatPromptTemplate.from_messages([
        ("system", "Answer only from these passages, citing them by number:\n\n{context}"), ("human", "{question}")])
    model = replying("You may keep working with your co-author [1].")
    chain = {"context": AdvisorRetriever(advisor=advisor) | RunnableLambda(numbered), "question": RunnablePassthrough()} | prompt | model
    assert chain.invoke(QUESTION).content == "You may keep working with your co-author [1]."
    system, human = model.received[0]
    assert advisor.ask(QUESTION).quotes[0].text in system.content and human.content == QUESTION
    chain.invoke("How much does a parking permit cost on campus?")
    assert "(the guidance is silent)" in model.received[1][0].content
