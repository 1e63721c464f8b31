# glmnet (binomial) on the logistic problems of lasso_tool: labels y > 0, one λ (_llambda.txt or
# _rlambda.txt) or, with WHAT = path, the λs of _lpath.txt; for each threshold of a ladder, the
# median time and the coefficients (certified by lasso_tool lgap / rgap). Objective:
# −loglik/n + λ‖w‖₁ (alpha = 1, "l1") or −loglik/n + (λ/2)‖w‖² (alpha = 0, "l2");
# standardize = FALSE, intercept = FALSE.
args <- commandArgs(TRUE)  # DIR NAME OUT [PENALTY l1|l2] [LADDER: comma-separated thresholds] [WHAT one|path]
dir <- args[1]; name <- args[2]; out <- args[3]
penalty <- if (length(args) > 3) args[4] else "l1"
ladder <- if (length(args) > 4) as.numeric(strsplit(args[5], ",")[[1]]) else c(1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14)
what <- if (length(args) > 5) args[6] else "one"
suppressMessages(library(glmnet))
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "read_problem.R"))
X <- read_design(dir, name)
y <- as.integer(read.csv(file.path(dir, paste0(name, "_y.csv")), header = FALSE)[, 1] > 0)
lam <- scan(file.path(dir, paste0(name, if (what == "path") "_lpath.txt" else if (penalty == "l1") "_llambda.txt" else "_rlambda.txt")), quiet = TRUE)
alpha <- if (penalty == "l1") 1 else 0
for (thresh in ladder) {
  fit <- function() glmnet(X, y, family = "binomial", alpha = alpha, lambda = lam, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  t1 <- timed(fit)
  write_coefs(fit(), lam, file.path(out, sprintf("glmnet_%s_%slog%s_%g.csv", name, penalty, if (what == "path") "_path" else "", thresh)))
  cat(sprintf("%g %.6g\n", thresh, t1))
}
