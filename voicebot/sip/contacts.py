"""A Contact for each transport the bot listens on.

pjsua gives every incoming call the account's registration Contact once it has one. Registered over
TCP/TLS that was the registration connection's own address (``contactUseSrcPort``): an ephemeral
port, on calls over UDP too, where the caller's ACK then went nowhere and pjsua tore the call down
after 32 s. Two settings fix it:

* the registering account's Contact (``endpoint.account_config``) names its transport's
  listening port and ``public_address``
  (``contactUseSrcPort`` off; no rewrite from ``received``/``rport``, which over a connection is the
  ephemeral port again, whenever ``public_address`` is set or the registrar is reached over TCP/TLS);
* one local (non-registering) account bound to each other transport: pjsua matches an incoming
  request to the account of its transport type first, and a local account builds its Contact from
  the transport the request came in on (listening port, published address).

Outbound calls need the same choice: a call placed from the registering account carries its
Contact, so a call to a UDP phone while registered over TCP advertised the TCP port and the phone's
ACK and BYE went to a transport it may not speak. A call that does not go through the registrar
(``outbound_transport``) is placed from the local account of its destination's transport.
"""

from __future__ import annotations

from dataclasses import dataclass

import pjsua2 as pj

from voicebot.config import SipConfig
from voicebot.sip.endpoint import Transports, account_config, registrar_transport
from voicebot.sip.keepalive import stream_target


@dataclass(frozen=True)
class LocalAccountPlan:
    kind: str  # "udp", "tcp", "tls"
    transport_id: int


def local_account_plans(sip: SipConfig, transports: Transports, registrar: str) -> list[LocalAccountPlan]:
    """The transports other than the registration's: each gets its own local account."""
    if not registrar:
        return []  # direct mode: the one account has no registration Contact, pjsua builds per request
    used = registrar_transport(registrar, sip.outbound_proxy)
    return [LocalAccountPlan(kind, tid) for kind, tid in transports.ids.items() if kind != used]


def local_account_config(sip: SipConfig, registrar: str, plan: LocalAccountPlan) -> pj.AccountConfig:
    acfg = account_config(sip, registrar)
    acfg.regConfig.registrarUri = ""
    acfg.regConfig.registerOnAdd = False
    acfg.sipConfig.transportId = plan.transport_id
    acfg.natConfig.contactUseSrcPort = False
    # pjsua scores the accounts for a request (transport type, then user and host) and keeps the
    # first best in priority order: the registering account (no transport bound) ties with this
    # one on a request over this transport, and must lose the tie.
    acfg.priority = 1
    return acfg


def outbound_transport(uri: str, registrar: str, outbound_proxy: str = "") -> str | None:
    """The transport whose local account places a call to ``uri``; None = the registering account
    (no registration, a call through the outbound proxy or the registrar itself, or the same transport)."""
    if not registrar or outbound_proxy:
        return None
    target = uri.strip().strip("<>")
    if _pbx(target) == _pbx(registrar):
        return None  # the PBX routes it: its Contact is the registered one
    kind = registrar_transport(target)
    return None if kind == registrar_transport(registrar) else kind



def _pbx(uri: str) -> tuple[str, int]:
    """Host and port with the scheme's default: the PBX at ``pbx`` and ``pbx:5060`` is one PBX."""
    target = stream_target(uri)
    return target.host.lower(), target.port
