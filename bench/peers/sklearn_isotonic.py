# scikit-learn's isotonic regression on the points written by pava_tool: the median time of
# IsotonicRegression().fit_transform(x, y) (validation, sort by x, tie pooling, PAVA, and the
# interpolation set-up) and of sklearn.isotonic.isotonic_regression(y in x order) (PAVA alone),
# then the two fitted sums (so the answers can be compared with ours).
import sys
import numpy as np
from sklearn.isotonic import IsotonicRegression, isotonic_regression

from timing import timed

data = np.loadtxt(sys.argv[1], delimiter=",")
x, y = data[:, 0], data[:, 1]
ordered = np.empty_like(y)
ordered[x.astype(np.int64)] = y
t_fit = timed(lambda: IsotonicRegression().fit_transform(x, y))
t_iso = timed(lambda: isotonic_regression(ordered))
print(f"{t_fit:.6g} {t_iso:.6g} {IsotonicRegression().fit_transform(x, y).sum():.17g} {isotonic_regression(ordered).sum():.17g}")
