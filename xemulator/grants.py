"""OAuth 2.0 as the emulator keeps it: consent requests, codes, grants and tokens (a mixin of
EmulatorState, which holds the lock and the tables)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace

from xemulator.accounts import XUser
from xemulator.errors import EmulatorError

INVALID_CODE = "Value passed for the authorization code was invalid."
INVALID_REFRESH_TOKEN = "Value passed for the token was invalid."
REDIRECT_URI_MISMATCH = (
    "Value passed for the redirect uri did not match the uri of the authorization code."
)
PKCE_MISMATCH = "Value passed for the code verifier did not match the code challenge."


@dataclass(frozen=True)
class ConsentRequest:
    """An authorize call waiting on the consent screen."""

    id: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str
    code_challenge: str
    created_at: float


@dataclass
class Grant:
    """What an authorization code, access token or refresh token stands for."""

    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float | None = None


@dataclass
class AuthorizationCode:
    grant: Grant
    redirect_uri: str
    code_challenge: str
    used: bool = False
    issued_tokens: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    refresh_token: str | None

    def as_json(self) -> dict:
        data = {
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "access_token": self.access_token,
            "scope": " ".join(self.scopes),
        }
        if self.refresh_token:
            data["refresh_token"] = self.refresh_token
        return data


def s256(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class GrantsMixin:
    def open_consent(
        self, *, client_id, redirect_uri, scopes, state, code_challenge
    ) -> ConsentRequest:
        with self.lock:
            self._forget_expired_consents()
            consent = ConsentRequest(
                id=secrets.token_urlsafe(16),
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=tuple(scopes),
                state=state,
                code_challenge=code_challenge,
                created_at=self.now(),
            )
            self.consent_requests[consent.id] = consent
            return consent

    def consent(self, consent_id: str) -> ConsentRequest | None:
        with self.lock:
            self._forget_expired_consents()
            return self.consent_requests.get(consent_id)

    def close_consent(self, consent_id: str) -> ConsentRequest | None:
        """Take the consent request off the table; None if it was already answered or expired."""
        with self.lock:
            self._forget_expired_consents()
            return self.consent_requests.pop(consent_id, None)

    def _forget_expired_consents(self) -> None:
        cutoff = self.now() - self.config.consent_ttl_seconds
        for consent_id in [c.id for c in self.consent_requests.values() if c.created_at < cutoff]:
            del self.consent_requests[consent_id]

    def issue_code(self, consent: ConsentRequest, user: XUser) -> str:
        with self.lock:
            code = secrets.token_urlsafe(32)
            self.codes[code] = AuthorizationCode(
                grant=Grant(
                    user_id=user.id,
                    client_id=consent.client_id,
                    scopes=consent.scopes,
                    expires_at=self.now() + self.config.code_ttl_seconds,
                ),
                redirect_uri=consent.redirect_uri,
                code_challenge=consent.code_challenge,
            )
            return code

    def redeem_code(
        self, *, code: str, client_id: str, redirect_uri: str, code_verifier: str
    ) -> TokenSet:
        with self.lock:
            record = self.codes.get(code)
            if record is None or record.grant.client_id != client_id:
                raise EmulatorError(INVALID_CODE)
            if record.used:
                # A replayed code means it leaked: revoke what it bought (RFC 6749, 4.1.2).
                for token in record.issued_tokens:
                    self.access_tokens.pop(token, None)
                    self.refresh_tokens.pop(token, None)
                raise EmulatorError(INVALID_CODE)
            if self.now() > record.grant.expires_at:
                del self.codes[code]
                raise EmulatorError(INVALID_CODE)
            if redirect_uri != record.redirect_uri:
                raise EmulatorError(REDIRECT_URI_MISMATCH)
            if not hmac.compare_digest(s256(code_verifier), record.code_challenge):
                raise EmulatorError(PKCE_MISMATCH)
            record.used = True
            tokens = self._issue_tokens(record.grant)
            record.issued_tokens += [tokens.access_token, tokens.refresh_token or ""]
            return tokens

    def redeem_refresh_token(self, *, refresh_token: str, client_id: str) -> TokenSet:
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or grant.client_id != client_id:
                raise EmulatorError(INVALID_REFRESH_TOKEN)
            # X rotates refresh tokens: each one works once.
            del self.refresh_tokens[refresh_token]
            return self._issue_tokens(grant)

    def _issue_tokens(self, grant: Grant) -> TokenSet:
        ttl = self.config.access_token_ttl_seconds
        access_token = secrets.token_urlsafe(32)
        self.access_tokens[access_token] = replace(grant, expires_at=self.now() + ttl)
        refresh_token = None
        if "offline.access" in grant.scopes:
            refresh_token = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh_token] = replace(grant, expires_at=None)
        return TokenSet(access_token, ttl, grant.scopes, refresh_token)

    def revoke_token(self, token: str, client_id: str) -> None:
        """POST /2/oauth2/revoke: forget one access or refresh token of this client's."""
        with self.lock:
            for tokens in (self.access_tokens, self.refresh_tokens):
                grant = tokens.get(token)
                if grant is not None and grant.client_id == client_id:
                    del tokens[token]

    def revoke_user_tokens(self, user_id: str) -> int:
        """The person took the app's access away on X: every token they granted stops
        working. Returns how many there were."""
        with self.lock:
            revoked = 0
            for tokens in (self.access_tokens, self.refresh_tokens):
                for token in [t for t, grant in tokens.items() if grant.user_id == user_id]:
                    del tokens[token]
                    revoked += 1
            return revoked

    def grant_for_access_token(self, access_token: str) -> tuple[Grant, XUser] | None:
        """The live grant behind a bearer token and its user; None for an unknown or old one."""
        with self.lock:
            grant = self.access_tokens.get(access_token)
            if grant is None or self.now() > grant.expires_at:
                return None
            user = self.users.get(grant.user_id)
            return (grant, user) if user else None

    # --- rate limits ---------------------------------------------------------------
