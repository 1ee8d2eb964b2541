"""LangChain integration for HiAPI."""
