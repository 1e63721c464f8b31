# glmnet on the lasso problems written by lasso_tool: for each stopping threshold of a ladder,
# the median time of one λ and of the 50-λ path, and the coefficients (to be certified by
# lasso_tool gap). Objective: 1/(2n)·RSS + λ‖w‖₁ (standardize = FALSE, intercept = FALSE).
args <- commandArgs(TRUE)
dir <- args[1]; name <- args[2]; out <- args[3]
suppressMessages(library(glmnet))
X <- as.matrix(read.csv(file.path(dir, paste0(name, "_X.csv")), header = FALSE))
y <- read.csv(file.path(dir, paste0(name, "_y.csv")), header = FALSE)[, 1]
lam <- scan(file.path(dir, paste0(name, "_lambda.txt")), quiet = TRUE)
grid <- scan(file.path(dir, paste0(name, "_path.txt")), quiet = TRUE)
timed <- function(f) {  # median over 5 batches, each at least 0.2 s
  inner <- 1; while (system.time(for (i in 1:inner) f())[["elapsed"]] < 0.2) inner <- inner * 2
  median(replicate(5, system.time(for (i in 1:inner) f())[["elapsed"]] / inner))
}
write_coefs <- function(fit, lambdas, file) {
  B <- as.matrix(coef(fit))[-1, , drop = FALSE]
  write.table(cbind(lambdas, t(B)), file, sep = ",", row.names = FALSE, col.names = FALSE)
}
for (thresh in c(1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14)) {
  one <- function() glmnet(X, y, lambda = lam, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  path <- function() glmnet(X, y, lambda = grid, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  t1 <- timed(one); t2 <- timed(path)
  write_coefs(one(), lam, file.path(out, sprintf("glmnet_%s_one_%g.csv", name, thresh)))
  write_coefs(path(), grid, file.path(out, sprintf("glmnet_%s_path_%g.csv", name, thresh)))
  cat(sprintf("%g %.6g %.6g\n", thresh, t1, t2))
}
