"""The secretariat's web desk: pages beside the bot for the work chat does badly.

Served by the webhook's FastAPI app under ``/desk/`` (:func:`bot.desk.routes.desk_router`),
server-rendered from ``locales/templates/desk`` with the chat's renderer and catalogues,
signed in to with a one-time link from ``/web`` (:mod:`bot.desk.flow`). Every page asks core
(:mod:`core.desk_services`, :mod:`core.review`) what its viewer may see.
"""
