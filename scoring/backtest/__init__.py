"""The backtest lab: does the score predict the price? Replays stored snapshots through any
model and weights and measures what each score said about the forward price.

Pure modules (no Django import, like ``scoring.engine``): ``stats`` (ranks, Spearman, deciles,
and their 95% intervals from a bootstrap that resamples tokens, not snapshots), ``returns``
(forward returns), ``replay`` (re-running a model and its EWMA over one token's snapshots, and
the ``backtest`` loop), ``results`` (the figures, and whether a horizon has history enough to
judge), ``charts`` (SVG geometry), ``text`` (the rows the command and the lab page print).
Django side: ``history`` (streaming stored snapshots), ``services`` (running and applying),
``forms`` (the /lab/ page).

Each horizon's bootstrap resamples at most ``results.BOOTSTRAP_SAMPLES`` of its samples (an
even stride over every token's life, ``stats.thinned``), and its intervals describe what it
resampled: on a long history they are usually wider than intervals over every sample would
be (fewer samples of the same tokens). ``manage.py backtest --bootstrap-samples`` trades time
for width.
"""
