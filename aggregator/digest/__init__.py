"""Email digests for practitioners: periods and retry rules, signed links and the message
(pure), sending what is due from the store's claimed state, and the /subscribe pages; uses
config, models, publish.select, store, notify.mail and web."""
