"""Running the service: the one poll-then-publish cycle, the long-running service and the
lease-holding worker node; uses poll, publish, store, web and admin.
"""
