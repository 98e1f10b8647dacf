"""The words of the search benchmark's corpus: names, products, places, rare items, and the
message templates by direction and stage, with their weights (scripts/bench_lib/search_corpus.py).
"""

from __future__ import annotations

FIRST_NAMES = (
    "María", "José", "Guadalupe", "Juan", "Alejandra", "Francisco", "Ana", "Luis", "Fernanda",
    "Carlos", "Verónica", "Jesús", "Patricia", "Jorge", "Daniela", "Ricardo", "Sofía",
    "Miguel", "Ximena", "Diego", "Rocío", "Andrés", "Mónica", "Raúl", "Gabriela", "Héctor",
    "Leticia", "Óscar", "Valeria", "Ramón", "Regina", "Iván", "Araceli", "Sebastián",
    "Beatriz", "Emiliano", "Nayeli", "Santiago", "Yolanda", "Adrián", "Karla", "Rubén",
    "Itzel", "Efraín", "Brenda", "Tomás", "Citlali", "Joaquín", "Inés", "Julián", "Xóchitl",
    "Cuauhtémoc", "Eréndira", "Nicolás", "Maricruz", "Rigoberto", "Anahí", "Bernardino",
)  # fmt: skip
LAST_NAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo",
    "Romero", "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez",
    "Herrera", "Medina", "Castro", "Vargas", "Guzmán", "Velázquez", "Muñoz", "Rojas",
    "Contreras", "Salazar", "Luna", "Ortega", "Guerrero", "Estrada", "Bautista", "Cortés",
    "Soto", "Alvarado", "Espinoza", "Lara", "Ávila", "Ríos", "Cervantes", "Silva", "Delgado",
    "Vega", "Márquez", "Sandoval", "Fernández", "León", "Carrillo", "Mejía", "Solís",
    "Núñez", "Rosas", "Valdez", "Ibarra", "Campos", "Escobar", "Zúñiga", "Olvera", "Cuevas",
    "Villegas", "Ochoa", "Arellano", "Tapia", "Quiroz", "Zamudio", "Ocampo", "Trejo",
    "Huitrón", "Tlapanco", "Xicoténcatl", "Cuautle", "Ixtlahuaca", "Zempoalteca", "Tepox",
)  # fmt: skip
PRODUCTS = (
    "refrigerador", "lavadora", "celular", "pantalla", "licuadora", "microondas", "laptop",
    "audífonos", "colchón", "estufa", "cafetera", "ventilador", "tenis", "plancha", "bocina",
    "tableta", "impresora", "aspiradora", "horno", "sala", "comedor", "bicicleta", "freidora",
    "minisplit", "tostador", "batidora", "sartenes", "vajilla", "edredón", "almohada",
    "mochila", "reloj", "consola", "cargador", "teclado", "monitor", "módem", "cámara",
    "secadora", "calentador", "purificador", "congelador", "parrilla", "asador", "hielera",
    "termo", "lonchera", "carriola", "cuna", "andadera", "escritorio", "librero", "ropero",
    "buró", "cómoda", "tocador", "perchero", "taburete", "hamaca", "sombrilla", "manguera",
    "podadora", "taladro", "desarmador", "escalera", "multicontacto", "lámpara", "candelabro",
    "tapete", "persiana", "mosquitero", "deshumidificador", "vaporera", "exprimidor",
    "molcajete", "comal", "tortillero", "anafre", "cazuela", "garrafón", "dispensador",
    "rebanadora", "afiladora", "báscula", "glucómetro", "baumanómetro", "nebulizador",
    "oxímetro", "metate", "trompo", "papalote", "alcancía", "quinqué", "molinillo",
)  # fmt: skip
PLACES = (
    "Iztapalapa", "Coyoacán", "Tlalpan", "Narvarte", "Del Valle", "Cuauhtémoc", "Gustavo A. "
    "Madero", "Álvaro Obregón", "Azcapotzalco", "Xochimilco", "Roma Norte", "Condesa",
    "Polanco", "Doctores", "Portales", "Lindavista", "Iztacalco", "Tláhuac", "Mixcoac",
    "Escandón", "Tacubaya", "Anzures", "Nápoles", "Coapa", "Tlatelolco", "Peralvillo",
    "Obrera", "Buenavista", "Clavería", "Pedregal", "Copilco", "Churubusco", "Nativitas",
    "Ajusco", "Culhuacán", "Aragón", "Ticomán", "Cuautepec", "Zapotitla", "Mixquic",
    "Tepepan", "Tetelpan", "Xalpa", "Ahuehuetes", "Tlacoquemécatl",
)  # fmt: skip
# Asked about once in a long while: a few dozen messages each in a million.
RARE_ITEMS = (
    "alebrije", "rebozo", "huipil", "jícara", "petate", "chiquihuite", "tenate", "huarache",
    "sarape", "jorongo", "quexquémitl", "guayabera", "jarana", "marimba", "teponaztli",
    "huéhuetl", "zampoña", "acordeón", "bajosexto", "requinto", "güiro", "maraca", "salterio",
    "vihuela", "tololoche", "ocarina", "pandero", "tejolote", "chocolatera", "cántaro",
    "botellón", "talavera", "azulejo", "obsidiana", "ámbar", "ónix", "cantera", "tezontle",
    "mezquite", "copal", "henequén", "ixtle", "mimbre", "carrizo", "bejuco", "otate", "piñata",
    "balero", "lotería", "matraca", "rehilete", "canica", "yoyo", "títere", "marioneta",
    "capirucho", "resortera", "matatena", "tangram", "dominó", "ajedrez", "baraja",
    "rompecabezas", "pirinola", "calaverita", "veladora", "incensario", "sahumerio",
)  # fmt: skip
CITIES = ("Tultitlán", "Guadalajara", "Monterrey", "Querétaro", "Puebla", "Toluca")
GREETINGS = ("Buenos días", "Buenas tardes", "Buenas noches", "Buen día", "Hola")

# Templates by (direction, stage) with weights. Slots: {cliente} {apellido} {agente} {pedido}
# {producto} {lugar} {ciudad} {saludo} {dias} {monto} {guia} {correo} {tel}.
TEMPLATES: dict[tuple[str, str], tuple[tuple[float, str], ...]] = {
    ("inbound", "open"): (
        (10, "Hola buenas tardes, quiero saber dónde está mi pedido {pedido}"),
        (8, "Hola, compré un {producto} y llegó dañado"),
        (6, "{saludo}! necesito la factura de mi pedido {pedido}"),
        (6, "Hola, ¿tienen {producto} en existencia?"),
        (5, "quiero cancelar mi pedido {pedido} por favor"),
        (6, "Hola, no me ha llegado mi {producto}, ya pasaron {dias} días"),
        (4, "{saludo}, me pueden ayudar con un reembolso?"),
        (8, "Hola"),
        (3, "hola buenas noches"),
        (4, "Hola, cambié de dirección, ahora vivo en {lugar}"),
        (3, "Buen día, el {producto} que me llegó no enciende"),
        (3, "Hola, me cobraron dos veces el pedido {pedido}"),
        (2, "¿Hacen envíos a {lugar}?"),
        (2, "Hola, ¿cuánto tarda el envío de un {producto}?"),
        (2, "Hola quiero hacer válida la garantía de mi {producto}"),
    ),
    ("outbound", "greet"): (
        (10, "Hola {cliente}, soy {agente} de Tienda CDMX. Con gusto le ayudo."),
        (6, "¡{saludo}, {cliente}! Mi nombre es {agente}, ¿me comparte su número de pedido por "
            "favor?"),
        (6, "Hola, gracias por escribirnos. Soy {agente}, ¿en qué le puedo ayudar?"),
        (3, "{saludo}, le atiende {agente}. Permítame revisar su caso."),
    ),
    ("inbound", "middle"): (
        (8, "es el {pedido}"), (6, "Mi pedido es el {pedido}"), (6, "sí"), (6, "ok"),
        (3, "A nombre de {cliente} {apellido}"), (4, "Vivo en {lugar}, cerca del metro"),
        (4, "el {producto} no enciende"), (3, "lo pagué con tarjeta de crédito"),
        (4, "¿cuándo llega?"), (2, "me urge para el fin de semana"),
        (2, "Mi correo es {correo}"), (2, "mi teléfono es 55 {tel}"),
        (3, "Ya revisé y no aparece nada en la guía"), (3, "Sigo esperando respuesta"),
        (2, "la caja venía abierta y el {producto} rayado"),
        (2, "Prefiero el reembolso, gracias"), (2, "¿puedo cambiarlo por otro modelo?"),
        (2, "Hola, ¿alguna novedad de mi pedido?"), (2, "Perdón, ¿me repite el número de guía?"),
        (1, "Te mando foto del ticket"), (2, "no me llegó el correo de confirmación"),
        (0.08, "¿también venden {raro}?"),
    ),
    ("outbound", "middle"): (
        (8, "Permítame un momento, reviso su pedido {pedido}."),
        (5, "Su pedido {pedido} salió hoy de nuestro almacén en {ciudad}; el envío llega en "
            "{dias} días hábiles."),
        (4, "Ya generé la factura, se la envío a su correo {correo}."),
        (3, "Le ofrezco un reembolso de ${monto} a su tarjeta."),
        (4, "Su número de guía es {guia}, puede rastrearlo en la página de la paquetería."),
        (3, "Con gusto cambio la dirección de entrega a {lugar}."),
        (3, "La garantía de su {producto} es de 12 meses; le genero el folio de servicio."),
        (4, "Lamento mucho la molestia, {cliente}."),
        (3, "¿Me confirma el domicilio de entrega por favor?"),
        (2, "Listo, su pedido {pedido} quedó cancelado y el cobro se devuelve en {dias} días."),
        (2, "Por favor envíenos una foto del {producto} y del empaque."),
        (2, "El {producto} está disponible en color negro y gris."),
        (2, "Gracias por la espera, sigo revisando con la paquetería."),
        (0.05, "Por ahora no tenemos {raro} en existencia, {cliente}."),
    ),
    ("inbound", "close"): (
        (8, "Muchas gracias!"), (6, "gracias 🙏"), (5, "Ok gracias"),
        (4, "perfecto, gracias por la ayuda"), (3, "👍"), (2, "Gracias {agente}, muy amable"),
        (2, "va, gracias"), (2, "Excelente, quedo atento"),
    ),
    ("outbound", "close"): (
        (6, "Gracias a usted, {cliente}. Que tenga excelente día."),
        (5, "Quedo al pendiente. ¡Gracias por su preferencia!"),
        (4, "Con gusto, hasta luego."),
        (3, "Gracias por escribir a Tienda CDMX, {cliente}."),
    ),
}  # fmt: skip
CAPTIONS = (
    (5, "así llegó el {producto}"), (3, "el ticket"), (2, "foto de la guía"),
    (2, "Este es el modelo que quiero"), (1, "la fachada de mi casa en {lugar}"),
)  # fmt: skip
DOCUMENT_CAPTIONS = ((4, "Factura del pedido {pedido}"), (1, "Póliza de garantía {producto}"))
# Probed on a sample of the messages, to report how common the searched words are.
PROBES = ("hola", "gracias", "pedido", "favor", "factura", "reembolso", "garantia", "envio")
