# glmnet on the lasso problems written by lasso_tool: for each stopping threshold of a ladder,
# the median time of one λ and of the 50-λ path, and the coefficients (to be certified by
# lasso_tool gap). Objective: 1/(2n)·RSS + λ‖w‖₁ (standardize = FALSE, intercept = FALSE).
args <- commandArgs(TRUE)  # DIR NAME OUT [LADDER: comma-separated thresholds]
dir <- args[1]; name <- args[2]; out <- args[3]
suppressMessages(library(glmnet))
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "read_problem.R"))
X <- read_design(dir, name)
y <- read.csv(file.path(dir, paste0(name, "_y.csv")), header = FALSE)[, 1]
lam <- scan(file.path(dir, paste0(name, "_lambda.txt")), quiet = TRUE)
grid <- scan(file.path(dir, paste0(name, "_path.txt")), quiet = TRUE)
ladder <- if (length(args) > 3) as.numeric(strsplit(args[4], ",")[[1]]) else c(1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14)
for (thresh in ladder) {
  one <- function() glmnet(X, y, lambda = lam, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  path <- function() glmnet(X, y, lambda = grid, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  t1 <- timed(one); t2 <- timed(path)
  write_coefs(one(), lam, file.path(out, sprintf("glmnet_%s_one_%g.csv", name, thresh)))
  write_coefs(path(), grid, file.path(out, sprintf("glmnet_%s_path_%g.csv", name, thresh)))
  cat(sprintf("%g %.6g %.6g\n", thresh, t1, t2))
}
