# Reference values for tests/test_diagnostics.py: residuals, rePCA, anova tables and
# leave-one-school-out refits on mlmRev's Exam and ScotsSec.  lme4 1.1-31, mlmRev 1.0-8,
# R 4.2.2.  Run from the repository root:  Rscript tests/r/lme4_diagnostics.R
# Writes tests/data/lme4_diagnostics.json.
suppressMessages({library(lme4); library(mlmRev); library(jsonlite); library(Matrix)})
tight <- function(formula, data, REML = TRUE, weights = NULL) {
  c1 <- lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-16),
                    calc.derivs = FALSE)
  c2 <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5),
                    calc.derivs = FALSE)
  data$.w <- if (is.null(weights)) rep(1, nrow(data)) else weights
  f1 <- lmer(formula, data, REML = REML, control = c1, weights = .w)
  f2 <- lmer(formula, data, REML = REML, control = c2, weights = .w)
  if (deviance(f1, REML = REML) <= deviance(f2, REML = REML)) f1 else f2
}
vc <- function(fit) {
  v <- as.data.frame(VarCorr(fit))
  setNames(as.list(v$vcov), paste(v$grp, v$var1, v$var2))
}
rows <- function(n) seq(1, n, by = 37)   # the rows whose residuals are stored
resid_summary <- function(fit, w = NULL) {
  n <- nobs(fit)
  X <- getME(fit, "X"); y <- getME(fit, "y"); Z <- getME(fit, "Z"); Lambda <- getME(fit, "Lambda")
  if (is.null(w)) w <- rep(1, n)
  V <- sigma(fit)^2 * (Diagonal(x = 1 / w) + Z %*% Lambda %*% t(Lambda) %*% t(Z))
  marg <- as.vector(y - X %*% fixef(fit))
  C <- t(chol(as.matrix(V)))                     # V = C C', C lower triangular
  scaled <- as.vector(forwardsolve(C, marg))
  r <- rows(n)
  list(response = unname(residuals(fit, type = "response")[r]),
       pearson = unname(residuals(fit, type = "pearson")[r]),
       pearson_scaled = unname(residuals(fit, type = "pearson", scaled = TRUE)[r]),
       marginal = marg[r], marginal_scaled = scaled[r],
       ss_pearson = sum(residuals(fit, type = "pearson")^2),
       ss_marginal_scaled = sum(scaled^2), rows = r)
}
repca <- function(fit) lapply(rePCA(fit), function(p) list(sdev = p$sdev, prop = p$sdev^2 / sum(p$sdev^2)))
anova_tab <- function(a) list(npar = a$npar, AIC = a$AIC, BIC = a$BIC, logLik = a$logLik,
                              deviance = a$deviance, Chisq = a$Chisq, Df = a$Df, p = a[["Pr(>Chisq)"]],
                              rows = rownames(a))
out <- list()
e <- Exam
s <- ScotsSec
w <- 1 + (seq_len(nrow(e)) %% 3)

# residuals
f_int <- tight(normexam ~ standLRT + sex + (1 | school), e)
f_slope <- tight(normexam ~ standLRT + sex + (standLRT | school), e)
f_w <- tight(normexam ~ standLRT + sex + (standLRT | school), e, weights = w)
f_cross <- tight(attain ~ verbal + sex + social + (1 | primary) + (1 | second), s)
out$resid_int <- resid_summary(f_int)
out$resid_slope <- resid_summary(f_slope)
out$resid_weighted <- resid_summary(f_w, w)
out$resid_cross <- resid_summary(f_cross)

# rePCA: a maximal model for Exam, an uncorrelated one, the crossed one
f_max <- tight(normexam ~ standLRT + sex + (standLRT + sex | school), e)
f_dbl <- tight(normexam ~ standLRT + sex + (standLRT || school), e)
out$repca_max <- repca(f_max)
out$repca_slope <- repca(f_slope)
out$repca_double <- repca(f_dbl)
out$repca_cross <- repca(f_cross)
out$theta_max <- unname(getME(f_max, "theta"))

# anova: anova(m0, m1, m2) refits by ML; anova(m1, m2, refit = FALSE) on the REML criterion
m0 <- tight(normexam ~ standLRT + (1 | school), e)
m1 <- f_int
m2 <- f_slope
ml <- function(fit) tight(formula(fit), e, REML = FALSE)
a_refit <- anova(ml(m0), ml(m1), ml(m2))   # = anova(m0, m1, m2) with tight ML refits
out$anova_refit <- anova_tab(a_refit)
out$anova_reml <- anova_tab(anova(m1, m2, refit = FALSE))
# the same call with lme4's own refit (default optimiser), for the message
out$anova_message <- tryCatch({anova(m0, m1, m2); "none"}, message = function(m) conditionMessage(m))

# leave one school out (influence.ME-style brute force): the random-intercept model, all 65 schools
loo <- function(formula, schools) {
  full <- tight(formula, e)
  b <- fixef(full); V <- as.matrix(vcov(full))
  res <- lapply(schools, function(k) {
    d <- droplevels(e[e$school != k, ])
    f <- tight(formula, d)
    db <- fixef(f) - b
    list(school = k, fixef = unname(fixef(f)), varcomp = unname(unlist(vc(f))),
         cook = as.numeric(t(db) %*% solve(V, db)) / length(b))
  })
  list(full_fixef = unname(b), full_varcomp = unname(unlist(vc(full))), vcnames = names(vc(full)),
       groups = res)
}
out$loo_int <- loo(normexam ~ standLRT + sex + (1 | school), levels(e$school))
out$loo_slope <- loo(normexam ~ standLRT + sex + (standLRT | school), c("1", "7", "23", "48", "53"))
out$versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                     mlmRev = as.character(packageVersion("mlmRev")))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, na = "null"), "tests/data/lme4_diagnostics.json")
