"""The advisor as a LangChain retriever: the passages it would quote, as Documents, for other teams' chains.

    retriever = AdvisorRetriever.from_settings(Settings())
    retriever.invoke("Can I keep working with my Russian co-author?")  # [] when the guidance is silent
"""
from __future__ import annotations

import asyncio

from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from advisor.answer import Advisor, Quote
from advisor.documents import Language
from advisor.embeddings import batching_for, embedder_for
from advisor.settings import Settings


class AdvisorRetriever(BaseRetriever):
    """Returns the quotes the advisor would show for a question, best first; none when the guidance is silent.

    Each Document's page_content is the verbatim quote; its metadata names the document, title, issuer, date,
    authority, url, passage_id, score, the unofficial translation when the question is in another language,
    and view_url (the quote in its document on the advisor's web server) when `base_url` is given.
    """

    advisor: Advisor
    language: Language | None = None  # None: detected from each question
    base_url: str | None = None  # e.g. "https://advisor.example.edu", where `advisor serve` runs (ADVISOR_PUBLIC_URL)

    @classmethod
    def from_settings(cls, settings: Settings, **fields) -> AdvisorRetriever:
        """A retriever over the store the settings name, with the configured embedding models (loaded once).

        Concurrent calls (`abatch`, `ainvoke` from many tasks) share one model through a batching queue, as `advisor serve` does.
        """
        fields.setdefault("base_url", settings.public_url or None)  # ADVISOR_PUBLIC_URL, as Telegram links quotes
        return cls(advisor=Advisor(settings, batching_for(embedder_for(settings), settings.remembered_questions)), **fields)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        answer = self.advisor.ask(query, self.language, summarize=False)
        if not answer.answered:  # silent, another language, no question, small talk: nothing to quote
            return []
        return [self._document(quote, answer.language) for quote in answer.quotes]

    async def _aget_relevant_documents(self, query: str, *,
                                       run_manager: AsyncCallbackManagerForRetrieverRun) -> list[Document]:
        # Embedding and ranking are CPU work: a thread keeps the caller's event loop free.
        return await asyncio.to_thread(self._get_relevant_documents, query, run_manager=run_manager.get_sync())

    def _document(self, quote: Quote, language: str) -> Document:
        metadata = {
            "document": quote.document, "title": quote.title, "issuer": quote.issuer, "date": quote.date,
            "authority": quote.authority, "url": quote.url, "passage_id": quote.passage_id,
            "score": round(quote.score, 4), "language": language,
        }
        if quote.translation:
            metadata |= {"translation": quote.translation, "translation_language": quote.translation_language,
                         "translation_note": quote.translation_note}
        if self.base_url:
            metadata["view_url"] = quote.view_url(self.base_url)
        present = {key: value for key, value in metadata.items() if value is not None}  # vector stores refuse None
        return Document(page_content=quote.text, metadata=present, id=quote.passage_id)
