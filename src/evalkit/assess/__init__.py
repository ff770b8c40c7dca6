"""Assessment of units: 执法评议考核 scores, 典型案例 candidates and the 回头看 review."""

from evalkit.assess.cases import case_candidates, case_timeline, lookback
from evalkit.assess.scoring import ScoreResult, score_units

__all__ = ["ScoreResult", "case_candidates", "case_timeline", "lookback", "score_units"]
