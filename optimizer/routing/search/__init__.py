"""freshroute's exact-cost local search, one operator a module.

``segments`` prices a move in O(1) on route summaries; ``exchange`` holds the search
state (routes, their exact costs, where each order rides) and prices and checks
insertions; the operators change it: ``serve`` (put unserved orders on routes or idle
trucks), ``eliminate`` (empty a route), ``relocate`` (move one order), ``ruin`` (ruin
and recreate a neighbourhood), ``tails`` (2-opt* between two routes) and ``trips``
(or-opt and 2-opt within a trip). ``exchange.Exchange.run`` runs the cross-route ones;
``routing/polish.py`` and ``routing/native.py`` are the surfaces that use them.
"""

MIN_GAIN_CNY = 0.01  # a move must save at least this much
