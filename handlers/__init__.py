"""Chat intents, one module each: pure functions of (event context, session) returning messages.

Each module declares its ``routes`` (``handlers.routing.Routes``); the composition root
(``bot.create_app``) builds the router from the modules in the order their routes win.
"""
