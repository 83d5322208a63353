"""The settings of one wait, from keyword arguments and the MUSTER_* variables, checked as the orchestrator
checks them (its ArrivalRequest and SchemaNames), so that a bad value fails here with the setting's name."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from typing import Mapping, Optional, Tuple
from urllib.parse import urlsplit

from ._errors import ArrivalRejected

DEFAULT_URL = "http://localhost:8080"
DEFAULT_SCHEMA = "public"
DEFAULT_TIMEOUT = 600
MAX_TIMEOUT = 86_400
DEFAULT_IDLE_TIMEOUT = 30.0

SERVICE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
INSTANCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
DEPLOY = INSTANCE
SCHEMA = re.compile(r"[a-z_][a-z0-9_]*")
SCHEMA_MAX_BYTES = 63
# A Flyway schema's versions, and a delegated schema's opaque ones (an Alembic revision, say). The client
# cannot know which runner the orchestrator gives the schema, so it accepts either form; the orchestrator
# refuses a delegated-only form for a Flyway schema with 400.
FLYWAY_VERSION = re.compile(r"[0-9]{1,18}(?:[._][0-9]{1,18}){0,7}")
DELEGATED_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}")
TOKEN = re.compile(r"[\x21-\x7e]+")


# The orchestrator's own words for each refusal (ArrivalRequest, SchemaNames; testdata/arrival-fields.tsv).
SERVICE_RULE = "service must be 1-63 characters of letters, digits, '_', '.', '-', starting with a letter or digit"
INSTANCE_RULE = ("instance must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter"
                 " or digit")
SCHEMA_EMPTY = "schema must be a non-empty string"
SCHEMA_LENGTH = "schema name must be at most 63 characters"
SCHEMA_FORM = "schema name must match [a-z_][a-z0-9_]* (lower-case letters, digits and underscores)"
VERSION_RULE = ("requiredVersion must be a Flyway version (digits separated by '.' or '_', such as \"4\" or \"1.2\")"
                " or, for a delegated schema, 1-128 characters of letters, digits, '_', '.', ':', '+', '-', starting"
                " with a letter or digit")
DEPLOY_RULE = "deploy must be 1-128 characters of letters, digits, '_', '.', ':', '-', starting with a letter or digit"


def invalid(setting: str, rule: str, value) -> ArrivalRejected:
    """``MUSTER_SERVICE: service must be ..., was 'my app'``: where the value came from, the rule, the value."""
    return ArrivalRejected("{}: {}, was {!r}".format(setting, rule, value), code="invalid_configuration")


def is_version(text) -> bool:
    return isinstance(text, str) and bool(FLYWAY_VERSION.fullmatch(text) or DELEGATED_VERSION.fullmatch(text))


def check_version(setting: str, version) -> str:
    if not is_version(version):
        raise invalid(setting, VERSION_RULE, version)
    return version


def schema_rule(schema) -> Optional[str]:
    """Why ``schema`` is not a schema name, as SchemaNames.invalid says it, or None."""
    if not isinstance(schema, str) or not schema:
        return SCHEMA_EMPTY
    if len(schema.encode("utf-8")) > SCHEMA_MAX_BYTES:
        return SCHEMA_LENGTH
    if not SCHEMA.fullmatch(schema):
        return SCHEMA_FORM
    return None


@dataclass(frozen=True)
class Settings:
    urls: Tuple[str, ...]
    service: str
    instance: str
    schema: str
    required_version: Optional[str]
    timeout: float
    token: Optional[str] = field(repr=False)
    deploy: Optional[str]
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT

    @staticmethod
    def resolve(environ: Optional[Mapping[str, str]] = None, *, url=None, service=None, instance=None,
                schema=None, required_version=None, timeout=None, token=None, deploy=None,
                idle_timeout=None) -> "Settings":
        """Arguments win over variables; unset or blank variables are ignored.

        :raises ArrivalRejected: naming the setting (and the variable it came from) and the rule it breaks
        """
        env = os.environ if environ is None else environ

        def pick(argument, variable):
            if argument is not None:
                return argument, variable.lower().replace("muster_", "")
            value = env.get(variable)
            return (value.strip(), variable) if value is not None and value.strip() else (None, variable)

        raw_url, _ = pick(url, "MUSTER_URL")
        service, service_from = pick(service, "MUSTER_SERVICE")
        instance, instance_from = pick(instance, "MUSTER_INSTANCE")
        schema, schema_from = pick(schema, "MUSTER_SCHEMA")
        version, version_from = pick(required_version, "MUSTER_REQUIRED_VERSION")
        timeout, timeout_from = pick(timeout, "MUSTER_TIMEOUT")
        deploy, deploy_from = pick(deploy, "MUSTER_DEPLOY")

        if service is None:
            raise ArrivalRejected("MUSTER_SERVICE is required: this service's name, such as app",
                                  code="invalid_configuration")
        if not isinstance(service, str) or not SERVICE.fullmatch(service):
            raise invalid(service_from, SERVICE_RULE, service)
        if instance is None:
            instance = default_instance(env)
        elif not isinstance(instance, str) or not INSTANCE.fullmatch(instance):
            raise invalid(instance_from, INSTANCE_RULE, instance)
        schema = DEFAULT_SCHEMA if schema is None else schema
        if schema_rule(schema) is not None:
            raise invalid(schema_from, schema_rule(schema), schema)
        if version is not None:
            check_version(version_from, version)
        if deploy is not None and (not isinstance(deploy, str) or not DEPLOY.fullmatch(deploy)):
            raise invalid(deploy_from, DEPLOY_RULE, deploy)
        return Settings(
            urls=parse_urls(DEFAULT_URL if raw_url is None else raw_url),
            service=service,
            instance=instance,
            schema=schema,
            required_version=version,
            timeout=parse_timeout(timeout_from, DEFAULT_TIMEOUT if timeout is None else timeout),
            token=resolve_token(env, token),
            deploy=deploy,
            idle_timeout=DEFAULT_IDLE_TIMEOUT if idle_timeout is None else _positive("idle_timeout", idle_timeout),
        )

    def __str__(self) -> str:
        return "{}/{} waiting for schema {}{} at {}".format(
            self.service, self.instance, self.schema,
            " ≥ " + self.required_version if self.required_version else "", ", ".join(self.urls))


def parse_urls(text) -> Tuple[str, ...]:
    """``http://a:8080, http://b:8080/`` → both, trailing slashes dropped."""
    if not isinstance(text, str):
        raise invalid("MUSTER_URL", "url must be a string", text)
    urls = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            split = urlsplit(part)
            split.port  # raises ValueError on a bad port
        except ValueError:
            split = None
        if (split is None or split.scheme.lower() not in ("http", "https") or not split.hostname
                or split.query or split.fragment or "?" in part or "#" in part):
            raise invalid("MUSTER_URL", "url must be absolute http:// or https:// URLs without query or fragment,"
                          " comma-separated", part)
        urls.append(part.rstrip("/"))
    if not urls:
        raise invalid("MUSTER_URL", "url must name at least one orchestrator", text)
    return tuple(urls)


def parse_timeout(setting: str, value) -> float:
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,9}", value):
            raise invalid(setting, "timeout must be whole seconds", value)
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= MAX_TIMEOUT:
        raise invalid(setting, "timeout must be between 1 and {} seconds".format(MAX_TIMEOUT), value)
    return float(value)


def _positive(setting: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise invalid(setting, "{} must be a positive number of seconds".format(setting), value)
    return float(value)


def resolve_token(env: Mapping[str, str], token: Optional[str]) -> Optional[str]:
    """The argument, else MUSTER_TOKEN, else the first line of the file MUSTER_TOKEN_FILE names. Both
    variables at once is refused: which one is meant cannot be guessed. No message carries the token."""
    from_file = (env.get("MUSTER_TOKEN_FILE") or "").strip()
    if token is None:
        variable = (env.get("MUSTER_TOKEN") or "").strip() or None
        if variable is not None and from_file:
            raise ArrivalRejected("set MUSTER_TOKEN or MUSTER_TOKEN_FILE, not both", code="invalid_configuration")
        token = variable
        if token is None and from_file:
            try:
                with open(from_file, encoding="utf-8") as secret:
                    token = secret.read().strip()
            except (OSError, UnicodeDecodeError) as e:
                raise ArrivalRejected("MUSTER_TOKEN_FILE: cannot read {}: {}".format(
                    from_file, getattr(e, "strerror", None) or type(e).__name__), code="invalid_configuration")
            if not token:
                raise ArrivalRejected("MUSTER_TOKEN_FILE: {} is empty".format(from_file),
                                      code="invalid_configuration")
    if token is not None and (not isinstance(token, str) or not TOKEN.fullmatch(token)):
        raise ArrivalRejected("the token must be visible ASCII characters without spaces",
                              code="invalid_configuration")
    return token


def default_instance(env: Mapping[str, str]) -> str:
    """Host name and process id, such as ``web-5d9f-1234``: unique per process, readable in logs, and kept
    by a command that ``exec``s after the wait."""
    host = (env.get("HOSTNAME") or "").strip() or socket.gethostname() or "host"
    host = re.sub(r"[^A-Za-z0-9_.:-]", "-", host)[:100]
    instance = "{}-{}".format(host, os.getpid())
    return instance if instance[0].isalnum() and instance[0].isascii() else "i" + instance
