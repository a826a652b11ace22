"""Clients for the outside world (DexScreener REST, PumpPortal WebSocket) and the request budget.

Pure Python: nothing here imports Django or another moon package, so each client is usable and
testable on its own.
"""
