"""ADVISOR_LLM -> a LangChain chat model, built once at start-up; LangChain is imported only when it is set."""
from __future__ import annotations

from advisor.errors import AdvisorError
from advisor.settings import Settings
from advisor.summary import ChatModel


class ChatModelUnavailable(AdvisorError):
    """ADVISOR_LLM names a chat model that cannot be built here."""


def chat_model_for(settings: Settings) -> ChatModel | None:
    """The chat model ADVISOR_LLM names ("provider:model", e.g. "ollama:llama3.1"), or None when it is not set.

    Its credentials and address come from the provider's usual variables (OLLAMA_HOST, AZURE_OPENAI_API_KEY, …).
    """
    name = settings.llm.strip()
    if not name:
        return None
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ChatModelUnavailable(f"ADVISOR_LLM={name!r} needs LangChain, which is not installed ({exc}): "
                                   "pip install 'collaboration-advisor[langchain]', or unset ADVISOR_LLM.") from exc
    try:
        return init_chat_model(name)
    except ImportError as exc:  # the provider's package, e.g. langchain-ollama
        raise ChatModelUnavailable(f"ADVISOR_LLM={name!r} needs its provider's package: {exc}") from exc
    except ValueError as exc:  # an unknown provider, or a model name with none that LangChain can infer
        raise ChatModelUnavailable(f"ADVISOR_LLM={name!r} is not a chat model LangChain can build: {str(exc).splitlines()[0]}") from exc
