"""Staff access: reviewer and admin roles behind API keys that are stored only as hashes.

Keys arrive as ``Authorization: Bearer <key>``; we hash them (SHA-256; the keys are long random
tokens, so a slow password hash buys nothing) and compare in constant time against
``CTP_API_KEYS``. In development, when no keys are configured, one well-known reviewer key
(``DEV_REVIEWER_KEY``) works so the demo console opens; production refuses to start with it or
with no keys at all (``check_production``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Any, Literal, cast

from anyio import to_thread
from fastapi import Depends, Header, HTTPException, Path, Request, status
from pydantic import BaseModel

from app.api.schemas import CONVERSATION_ID, ErrorBody
from app.settings import Settings

Role = Literal["reviewer", "admin"]
DEV_REVIEWER_KEY = "dev-reviewer-key-change-me"
RANK: dict[str, int] = {"reviewer": 1, "admin": 2}


class Principal(BaseModel):
    name: str
    role: Role


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return "ctp_" + secrets.token_urlsafe(32)


def configured_keys(settings: Settings) -> dict[str, tuple[Role, str]]:
    """name → (role, sha256 hex), including the development key when nothing is configured."""
    keys: dict[str, tuple[Role, str]] = {}
    for name, spec in settings.api_keys.items():
        role, _, digest = spec.partition(":")
        if role not in RANK or len(digest) != 64:
            raise ValueError(f"CTP_API_KEYS[{name!r}] must be '<reviewer|admin>:<sha256 hex>'")
        keys[name] = (cast(Role, role), digest.lower())  # checked against RANK just above
    if not keys and settings.environment == "development":
        keys["dev-reviewer"] = ("reviewer", hash_key(DEV_REVIEWER_KEY))
    return keys


def check_production(settings: Settings) -> None:
    """Refuse to run production without staff keys or with the well-known development key."""
    if settings.environment != "production":
        return
    keys = configured_keys(settings)
    if not keys:
        raise RuntimeError("production needs CTP_API_KEYS: no staff keys are configured")
    if any(digest == hash_key(DEV_REVIEWER_KEY) for _, digest in keys.values()):
        raise RuntimeError("production must not accept the development reviewer key")


def authenticate(settings: Settings, authorization: str | None) -> Principal | None:
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    digest = hash_key(authorization[7:].strip())
    for name, (role, expected) in configured_keys(settings).items():
        if hmac.compare_digest(digest, expected):
            return Principal(name=name, role=role)
    return None


def require(role: Role) -> Callable[[Request], Principal]:
    """A dependency admitting principals of ``role`` or higher."""

    def dependency(request: Request) -> Principal:
        settings: Settings = request.state.services.settings
        principal = authenticate(settings, request.headers.get("authorization"))
        if principal is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a staff API key is required (Authorization: Bearer <key>)",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if RANK[principal.role] < RANK[role]:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role} role")
        return principal

    return dependency


ReviewerDep = Annotated[Principal, Depends(require("reviewer"))]
AdminDep = Annotated[Principal, Depends(require("admin"))]


# --- shoppers: anonymous conversation tokens ------------------------------------------------------
#
# A new conversation gets a random token (32 bytes, URL-safe) that only its shopper knows; the state
# keeps its SHA-256. Every conversation-scoped call must send it as ``X-Conversation-Token``.
# Missing token → 401. Wrong token → 404, the same answer as for an id that does not exist, so a
# guessed id cannot even be confirmed to exist.

TOKEN_HEADER = "X-Conversation-Token"


def new_conversation_token() -> tuple[str, str]:
    """(token for the shopper, hash for the state)."""
    token = secrets.token_urlsafe(32)
    return token, hash_key(token)


def token_matches(token: str, token_hash: str | None) -> bool:
    return token_hash is not None and hmac.compare_digest(hash_key(token), token_hash)


def missing_token() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        f"this conversation needs its {TOKEN_HEADER} header (returned when it was created)",
    )


async def check_conversation_access(request: Request, conversation_id: str, token: str | None) -> None:
    """401 without a token; 404 unless ``token`` is the one the conversation was created with."""
    if not token:
        raise missing_token()
    state = await request.state.services.state.get(conversation_id)
    if state is None or not token_matches(token, state.token_hash):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown conversation '{conversation_id}'")


async def conversation_access(
    request: Request,
    conversation_id: Annotated[str, Path(pattern=CONVERSATION_ID)],
    token: Annotated[str | None, Header(alias=TOKEN_HEADER, max_length=128)] = None,
) -> str:
    await check_conversation_access(request, conversation_id, token)
    return conversation_id


async def turn_access(
    request: Request,
    turn_id: str,
    token: Annotated[str | None, Header(alias=TOKEN_HEADER, max_length=128)] = None,
) -> str:
    """A turn belongs to its conversation: the same token is needed. 404 for unknown turns."""
    if not token:
        raise missing_token()
    record = await to_thread.run_sync(request.state.services.logger.get, turn_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown turn '{turn_id}'")
    await check_conversation_access(request, record.conversation_id, token)
    return turn_id


#: The conversation id of a request whose token was checked.
ConversationAccessDep = Annotated[str, Depends(conversation_access)]
#: The turn id of a request whose conversation token was checked.
TurnAccessDep = Annotated[str, Depends(turn_access)]
#: Responses every conversation-scoped route documents.
ACCESS_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": f"Missing {TOKEN_HEADER}"},
    404: {"model": ErrorBody, "description": "Unknown conversation, or a token that is not its own"},
}
