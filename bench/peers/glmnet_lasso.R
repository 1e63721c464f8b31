# glmnet on the lasso problems written by lasso_tool: for each stopping threshold of a ladder,
# the median time of one λ and of the 50-λ path, and the coefficients (to be certified by
# lasso_tool gap). Objective: 1/(2n)·RSS + λ‖w‖₁ (standardize = FALSE, intercept = FALSE).
args <- commandArgs(TRUE)  # DIR NAME OUT [LADDER: comma-separated thresholds]
dir <- args[1]; name <- args[2]; out <- args[3]
suppressMessages(library(glmnet))
shape <- file.path(dir, paste0(name, "_shape.txt"))
raw <- function(suffix, what, n, size) readBin(file.path(dir, paste0(name, suffix)), what, n, size = size, endian = "little")
X <- if (!file.exists(shape)) as.matrix(read.csv(file.path(dir, paste0(name, "_X.csv")), header = FALSE)) else {
  d <- scan(shape, quiet = TRUE)
  if (length(d) == 3) {  # sparse: 0-based int32 rows and columns, float64 values (lasso_tool writescale)
    Matrix::sparseMatrix(i = raw("_i.i32", "integer", d[3], 4) + 1L, j = raw("_j.i32", "integer", d[3], 4) + 1L,
                         x = raw("_x.f64", "double", d[3], 8), dims = d[1:2])
  } else matrix(raw("_X.f64", "double", d[1] * d[2], 8), nrow = d[1])  # dense, column-major
}
y <- read.csv(file.path(dir, paste0(name, "_y.csv")), header = FALSE)[, 1]
lam <- scan(file.path(dir, paste0(name, "_lambda.txt")), quiet = TRUE)
grid <- scan(file.path(dir, paste0(name, "_path.txt")), quiet = TRUE)
timed <- function(f) {  # median over 5 batches, each at least 0.2 s; a fit of ≥ 1 s is timed once
  first <- system.time(f())[["elapsed"]]
  if (first >= 1) return(first)
  inner <- 1; while (system.time(for (i in 1:inner) f())[["elapsed"]] < 0.2) inner <- inner * 2
  median(replicate(5, system.time(for (i in 1:inner) f())[["elapsed"]] / inner))
}
write_coefs <- function(fit, lambdas, file) {
  B <- as.matrix(coef(fit))[-1, , drop = FALSE]
  write.table(cbind(lambdas, t(B)), file, sep = ",", row.names = FALSE, col.names = FALSE)
}
ladder <- if (length(args) > 3) as.numeric(strsplit(args[4], ",")[[1]]) else c(1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14)
for (thresh in ladder) {
  one <- function() glmnet(X, y, lambda = lam, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  path <- function() glmnet(X, y, lambda = grid, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  t1 <- timed(one); t2 <- timed(path)
  write_coefs(one(), lam, file.path(out, sprintf("glmnet_%s_one_%g.csv", name, thresh)))
  write_coefs(path(), grid, file.path(out, sprintf("glmnet_%s_path_%g.csv", name, thresh)))
  cat(sprintf("%g %.6g %.6g\n", thresh, t1, t2))
}
