# Shared by the glmnet peer scripts: the design X of a problem written by lasso_tool — a CSV
# (_X.csv), raw float64 column-major (_X.f64 with _shape.txt "n p"), or sparse (0-based int32 rows
# _i.i32 and columns _j.i32, float64 values _x.f64, _shape.txt "n p nnz") — as a matrix or a
# Matrix::dgCMatrix.
read_design <- function(dir, name) {
  shape <- file.path(dir, paste0(name, "_shape.txt"))
  if (!file.exists(shape)) return(as.matrix(read.csv(file.path(dir, paste0(name, "_X.csv")), header = FALSE)))
  raw <- function(suffix, what, n, size) readBin(file.path(dir, paste0(name, suffix)), what, n, size = size, endian = "little")
  d <- scan(shape, quiet = TRUE)
  if (length(d) == 3) {
    Matrix::sparseMatrix(i = raw("_i.i32", "integer", d[3], 4) + 1L, j = raw("_j.i32", "integer", d[3], 4) + 1L,
                         x = raw("_x.f64", "double", d[3], 8), dims = d[1:2])
  } else matrix(raw("_X.f64", "double", d[1] * d[2], 8), nrow = d[1])
}

# Median over 5 batches, each at least 0.2 s; a fit of ≥ 1 s is timed once.
timed <- function(f) {
  first <- system.time(f())[["elapsed"]]
  if (first >= 1) return(first)
  inner <- 1; while (system.time(for (i in 1:inner) f())[["elapsed"]] < 0.2) inner <- inner * 2
  median(replicate(5, system.time(for (i in 1:inner) f())[["elapsed"]] / inner))
}

# Coefficients as lines "lambda,w_1,…,w_p" (what lasso_tool gap / lgap certify).
write_coefs <- function(fit, lambdas, file) {
  B <- as.matrix(coef(fit))[-1, , drop = FALSE]
  write.table(cbind(lambdas, t(B)), file, sep = ",", row.names = FALSE, col.names = FALSE)
}
