"""The advisor inside other frameworks: LangChain's retriever interface, and chat models named by ADVISOR_LLM."""
