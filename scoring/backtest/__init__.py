"""The backtest lab: does the score predict the price? Replays stored snapshots through any
model and weights and measures what each score said about the forward price.

Pure modules (no Django import, like ``scoring.engine``): ``stats`` (ranks, Spearman, deciles),
``returns`` (forward returns), ``replay`` (re-running a model and its EWMA over one token's
snapshots, and the ``backtest`` loop), ``results`` (the figures), ``charts`` (SVG geometry).
Django side: ``history`` (streaming stored snapshots), ``services`` (running and applying),
``forms`` (the /lab/ page).
"""
