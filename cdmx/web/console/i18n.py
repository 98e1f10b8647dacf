"""The console's words, in Spanish (es-MX, the default) and English.

Templates read them as ``strings.<key>``; the ES modules get the same dict through the
``#boot`` JSON script tag and read it with ``t("<key>")``. Placeholders are ``{name}`` and
are filled in by the browser, always as text. Both languages must have the same keys (a test
checks it), and every key a template or module uses must exist (a test checks that too).
"""

from __future__ import annotations

SUPPORTED = ("es-MX", "en")

_FALLBACK = "es-MX"

STRINGS: dict[str, dict[str, str]] = {
    "es-MX": {
        # Page and session
        "app_name": "WhatsApp CDMX",
        "page_title_console": "Consola",
        "page_title_login": "Iniciar sesión",
        "login_heading": "Inicia sesión",
        "login_subtitle": "Centro de contacto de WhatsApp",
        "login_email": "Correo electrónico",
        "login_password": "Contraseña",
        "login_submit": "Entrar",
        "error_login_invalid": "Correo o contraseña incorrectos",
        "error_session_expired": "Tu sesión expiró; vuelve a iniciar sesión.",
        "logout": "Cerrar sesión",
        "language": "Idioma",
        "lang_es": "Español",
        "lang_en": "English",
        # Roles and availability
        "role_admin": "Administrador",
        "role_supervisor": "Supervisor",
        "role_agent": "Agente",
        "availability_label": "Disponibilidad",
        "availability_available": "Disponible",
        "availability_away": "Ausente",
        "availability_offline": "Desconectado",
        "availability_error": "No se pudo cambiar tu disponibilidad.",
        # Conversation list
        "conversations_label": "Conversaciones",
        "tab_mine": "Mías",
        "tab_queue": "En cola",
        "tab_all": "Todas",
        "empty_mine": "No tienes conversaciones asignadas.",
        "empty_queue": "No hay conversaciones en espera.",
        "empty_all": "No hay conversaciones.",
        "loading": "Cargando…",
        "you_prefix": "Tú: ",
        "unread_count": "{count} sin leer",
        "today": "Hoy",
        "yesterday": "Ayer",
        # Conversation header and actions
        "status_queued": "En cola",
        "status_assigned": "Asignada",
        "status_closed": "Cerrada",
        "assigned_to": "Asignada a {name}",
        "assigned_to_you": "Asignada a ti",
        "unassigned": "Sin asignar",
        "via_number": "vía {number}",
        "take": "Tomar",
        "transfer": "Transferir",
        "transfer_to": "Transferir a…",
        "transfer_option": "{name} · {availability} · {count} abiertas",
        "transfer_none": "No hay otros agentes",
        "transfer_done": "Conversación transferida a {name}.",
        "close": "Cerrar",
        "close_confirm": "¿Cerrar esta conversación?",
        "back": "Volver",
        # The 24-hour customer service window
        "window_open": "La ventana de 24 horas cierra en {time}",
        "window_closed": "La ventana de 24 horas está cerrada",
        "duration_hours_minutes": "{hours} h {minutes} min",
        "duration_minutes": "{minutes} min",
        "duration_less_than_minute": "menos de un minuto",
        # Thread
        "empty_thread_title": "Selecciona una conversación",
        "empty_thread_hint": "Las conversaciones nuevas aparecen a la izquierda en tiempo real.",
        "empty_messages": "Aún no hay mensajes.",
        "tick_queued": "En cola",
        "tick_sent": "Enviado",
        "tick_delivered": "Entregado",
        "tick_read": "Leído",
        "tick_played": "Reproducido",
        "tick_failed": "Falló",
        "message_failed": "No se entregó",
        "message_failed_generic": "WhatsApp no pudo entregar este mensaje.",
        "message_unsupported": "Mensaje no compatible",
        "message_unsupported_hint": "Este tipo de mensaje aún no se puede mostrar aquí.",
        "send_error": "No se pudo enviar: {error}",
        "retry": "Reintentar",
        # Message types (docs/messages.md)
        "media_image": "Foto",
        "media_video": "Video",
        "media_audio": "Audio",
        "media_voice": "Nota de voz",
        "media_document": "Documento",
        "media_sticker": "Sticker",
        "media_animated": "animado",
        "location_shared": "Ubicación compartida",
        "location_open_map": "Abrir mapa",
        "contact_no_name": "Contacto sin nombre",
        "contact_on_whatsapp": "WhatsApp",
        "order_title": "Pedido",
        "order_item": "{quantity} × {product}",
        "order_total": "Total: {total}",
        "interactive_chose": "Eligió: {title}",
        "flow_answered": "Respondió el formulario",
        "button_tapped": "Tocó el botón: {text}",
        "message_unsupported_detail": "Mensaje no compatible: {type} — {title}",
        "message_unsupported_one": "Mensaje no compatible: {detail}",
        "system_message": "Mensaje del sistema",
        "system_number_changed": "El cliente cambió su número a {number}",
        "quote_unavailable": "Mensaje original no disponible",
        "quote_jump": "Ir al mensaje original",
        "quote_business": "Negocio",
        "quote_customer": "Cliente",
        "forwarded": "Reenviado",
        "forwarded_many": "Reenviado muchas veces",
        "edited": "editado",
        "edit_orphan": "El cliente editó un mensaje:",
        "revoked": "El cliente eliminó este mensaje",
        "revoke_orphan": "El cliente eliminó un mensaje anterior",
        "reaction_by_customer": "Reacción del cliente",
        "reaction_by_business": "Reacción del negocio",
        "reaction_orphan": "Reaccionó {emoji} a un mensaje anterior",
        "reaction_removed_orphan": "Quitó su reacción a un mensaje anterior",
        "referral_title": "Llegó desde un {kind}",
        "referral_ad": "anuncio",
        "referral_post": "publicación",
        "referral_open": "Ver anuncio",
        # Composer
        "composer_label": "Mensaje",
        "composer_placeholder": "Escribe un mensaje",
        "composer_hint": "Enter para enviar · Shift+Enter para nueva línea",
        "send": "Enviar",
        "composer_window_closed": (
            "La ventana de 24 horas está cerrada; se necesita una plantilla"
        ),
        "composer_take_first": "Toma la conversación para responder.",
        "composer_not_assignee": "Solo quien tiene asignada la conversación puede responder.",
        "composer_closed": "La conversación está cerrada.",
        # Connection and errors
        "connection_lost": "Sin conexión — reconectando…",
        "connection_restored": "Conexión restablecida",
        "error_generic": "Algo salió mal. Intenta de nuevo.",
        "error_network": "No se pudo conectar con el servidor.",
    },
    "en": {
        # Page and session
        "app_name": "WhatsApp CDMX",
        "page_title_console": "Console",
        "page_title_login": "Sign in",
        "login_heading": "Sign in",
        "login_subtitle": "WhatsApp contact center",
        "login_email": "Email",
        "login_password": "Password",
        "login_submit": "Sign in",
        "error_login_invalid": "Wrong email or password",
        "error_session_expired": "Your session expired; please sign in again.",
        "logout": "Log out",
        "language": "Language",
        "lang_es": "Español",
        "lang_en": "English",
        # Roles and availability
        "role_admin": "Administrator",
        "role_supervisor": "Supervisor",
        "role_agent": "Agent",
        "availability_label": "Availability",
        "availability_available": "Available",
        "availability_away": "Away",
        "availability_offline": "Offline",
        "availability_error": "Could not change your availability.",
        # Conversation list
        "conversations_label": "Conversations",
        "tab_mine": "Mine",
        "tab_queue": "Queue",
        "tab_all": "All",
        "empty_mine": "You have no assigned conversations.",
        "empty_queue": "No conversations are waiting.",
        "empty_all": "No conversations.",
        "loading": "Loading…",
        "you_prefix": "You: ",
        "unread_count": "{count} unread",
        "today": "Today",
        "yesterday": "Yesterday",
        # Conversation header and actions
        "status_queued": "Queued",
        "status_assigned": "Assigned",
        "status_closed": "Closed",
        "assigned_to": "Assigned to {name}",
        "assigned_to_you": "Assigned to you",
        "unassigned": "Unassigned",
        "via_number": "via {number}",
        "take": "Take",
        "transfer": "Transfer",
        "transfer_to": "Transfer to…",
        "transfer_option": "{name} · {availability} · {count} open",
        "transfer_none": "No other agents",
        "transfer_done": "Conversation transferred to {name}.",
        "close": "Close",
        "close_confirm": "Close this conversation?",
        "back": "Back",
        # The 24-hour customer service window
        "window_open": "The 24-hour window closes in {time}",
        "window_closed": "The 24-hour window is closed",
        "duration_hours_minutes": "{hours} h {minutes} min",
        "duration_minutes": "{minutes} min",
        "duration_less_than_minute": "less than a minute",
        # Thread
        "empty_thread_title": "Select a conversation",
        "empty_thread_hint": "New conversations appear on the left in real time.",
        "empty_messages": "No messages yet.",
        "tick_queued": "Queued",
        "tick_sent": "Sent",
        "tick_delivered": "Delivered",
        "tick_read": "Read",
        "tick_played": "Played",
        "tick_failed": "Failed",
        "message_failed": "Not delivered",
        "message_failed_generic": "WhatsApp could not deliver this message.",
        "message_unsupported": "Unsupported message",
        "message_unsupported_hint": "This kind of message cannot be shown here yet.",
        "send_error": "Could not send: {error}",
        "retry": "Retry",
        # Message types (docs/messages.md)
        "media_image": "Photo",
        "media_video": "Video",
        "media_audio": "Audio",
        "media_voice": "Voice message",
        "media_document": "Document",
        "media_sticker": "Sticker",
        "media_animated": "animated",
        "location_shared": "Shared location",
        "location_open_map": "Open map",
        "contact_no_name": "Unnamed contact",
        "contact_on_whatsapp": "WhatsApp",
        "order_title": "Order",
        "order_item": "{quantity} × {product}",
        "order_total": "Total: {total}",
        "interactive_chose": "Chose: {title}",
        "flow_answered": "Filled in the form",
        "button_tapped": "Tapped the button: {text}",
        "message_unsupported_detail": "Unsupported message: {type} — {title}",
        "message_unsupported_one": "Unsupported message: {detail}",
        "system_message": "System message",
        "system_number_changed": "The customer changed their number to {number}",
        "quote_unavailable": "Original message not available",
        "quote_jump": "Go to the original message",
        "quote_business": "Business",
        "quote_customer": "Customer",
        "forwarded": "Forwarded",
        "forwarded_many": "Forwarded many times",
        "edited": "edited",
        "edit_orphan": "The customer edited a message:",
        "revoked": "The customer deleted this message",
        "revoke_orphan": "The customer deleted an earlier message",
        "reaction_by_customer": "Customer's reaction",
        "reaction_by_business": "Business's reaction",
        "reaction_orphan": "Reacted {emoji} to an earlier message",
        "reaction_removed_orphan": "Removed their reaction to an earlier message",
        "referral_title": "Came from a {kind}",
        "referral_ad": "ad",
        "referral_post": "post",
        "referral_open": "View ad",
        # Composer
        "composer_label": "Message",
        "composer_placeholder": "Type a message",
        "composer_hint": "Enter to send · Shift+Enter for a new line",
        "send": "Send",
        "composer_window_closed": "The 24-hour window is closed; a template is needed",
        "composer_take_first": "Take the conversation to reply.",
        "composer_not_assignee": "Only the assigned agent can reply to this conversation.",
        "composer_closed": "This conversation is closed.",
        # Connection and errors
        "connection_lost": "Offline — reconnecting…",
        "connection_restored": "Back online",
        "error_generic": "Something went wrong. Please try again.",
        "error_network": "Could not reach the server.",
    },
}


def _match(tag: str) -> str | None:
    """Map one language tag (``es``, ``es_MX``, ``EN-us``) to a supported language."""
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    if primary == "es":
        return "es-MX"
    if primary == "en":
        return "en"
    return None


def pick_language(requested: str | None, default: str) -> str:
    """Return the supported language for a requested tag or Accept-Language value."""
    if requested:
        # An Accept-Language value lists tags with optional weights; a single tag is the
        # same thing with one entry. Highest weight wins; ties keep the listed order.
        weighted: list[tuple[float, int, str]] = []
        for position, part in enumerate(requested.split(",")):
            tag, _, params = part.partition(";")
            weight = 1.0
            params = params.strip()
            if params.startswith("q="):
                try:
                    weight = float(params[2:])
                except ValueError:
                    weight = 0.0
            if tag.strip() and weight > 0:
                weighted.append((-weight, position, tag))
        for _, _, tag in sorted(weighted):
            found = _match(tag)
            if found:
                return found
    return _match(default) or _FALLBACK


def strings_for(lang: str) -> dict[str, str]:
    """Return a copy of the strings for ``lang`` (Spanish when it is not supported)."""
    return dict(STRINGS[pick_language(lang, _FALLBACK)])
