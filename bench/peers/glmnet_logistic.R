# glmnet (binomial) on the logistic problems of lasso_tool: labels y > 0, one λ; for each
# threshold of a ladder, the median time and the coefficients (certified by lasso_tool lgap /
# rgap). Objective: −loglik/n + λ‖w‖₁ (alpha = 1, "l1") or −loglik/n + (λ/2)‖w‖² (alpha = 0,
# "l2"); standardize = FALSE, intercept = FALSE.
args <- commandArgs(TRUE)
dir <- args[1]; name <- args[2]; out <- args[3]
penalty <- if (length(args) > 3) args[4] else "l1"
suppressMessages(library(glmnet))
shape <- file.path(dir, paste0(name, "_shape.txt"))
X <- if (file.exists(shape)) {  # raw float64, column-major (lasso_tool write)
  d <- scan(shape, quiet = TRUE)
  matrix(readBin(file.path(dir, paste0(name, "_X.f64")), "double", d[1] * d[2], size = 8, endian = "little"), nrow = d[1])
} else as.matrix(read.csv(file.path(dir, paste0(name, "_X.csv")), header = FALSE))
y <- as.integer(read.csv(file.path(dir, paste0(name, "_y.csv")), header = FALSE)[, 1] > 0)
lam <- scan(file.path(dir, paste0(name, if (penalty == "l1") "_llambda.txt" else "_rlambda.txt")), quiet = TRUE)
alpha <- if (penalty == "l1") 1 else 0
timed <- function(f) {
  inner <- 1; while (system.time(for (i in 1:inner) f())[["elapsed"]] < 0.2) inner <- inner * 2
  median(replicate(5, system.time(for (i in 1:inner) f())[["elapsed"]] / inner))
}
for (thresh in c(1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14)) {
  one <- function() glmnet(X, y, family = "binomial", alpha = alpha, lambda = lam, standardize = FALSE, intercept = FALSE, thresh = thresh, maxit = 1e7)
  t1 <- timed(one)
  B <- as.matrix(coef(one()))[-1, 1]
  write.table(t(c(lam, B)), file.path(out, sprintf("glmnet_%s_%slog_%g.csv", name, penalty, thresh)), sep = ",", row.names = FALSE, col.names = FALSE)
  cat(sprintf("%g %.6g\n", thresh, t1))
}
