suppressMessages({library(lme4); library(jsonlite)})
tight <- function(formula, data, REML = TRUE, weighted = FALSE) {
  c1 <- lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-16))
  c2 <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
  if (weighted) {
    f1 <- lmer(formula, data, REML = REML, control = c1, weights = w, na.action = na.omit)
    f2 <- lmer(formula, data, REML = REML, control = c2, weights = w, na.action = na.omit)
  } else {
    f1 <- lmer(formula, data, REML = REML, control = c1, na.action = na.omit)
    f2 <- lmer(formula, data, REML = REML, control = c2, na.action = na.omit)
  }
  if (deviance(f1, REML=REML) <= deviance(f2, REML=REML)) f1 else f2
}
summ <- function(fit) {
  vc <- as.data.frame(VarCorr(fit))
  list(fixef = as.list(fixef(fit)), theta = unname(getME(fit, "theta")),
       vcov = unname(vc$vcov), vcnames = paste(vc$grp, vc$var1, vc$var2),
       sigma2 = sigma(fit)^2, loglik = as.numeric(logLik(fit)), nobs = nobs(fit))
}
s <- sleepstudy
s$phase <- factor(ifelse(s$Days < 3, "lo", ifelse(s$Days < 6, "mid", "hi")), levels = c("lo", "mid", "hi"))
s$ophase <- factor(as.character(s$phase), levels = c("lo", "mid", "hi", "max"), ordered = TRUE)
s$w <- 1 + (s$Days %% 3)
sq <- function(x) x^2
out <- list()
out$phase <- summ(tight(Reaction ~ phase + (1 | Subject), s))
out$ophase <- summ(tight(Reaction ~ ophase + (1 | Subject), s))
out$doublebar <- summ(tight(Reaction ~ Days + (Days || Subject), s))
out$logquad <- summ(tight(log(Reaction) ~ Days + I(Days^2) + (Days | Subject), s))
out$scale <- summ(tight(Reaction ~ scale(Days) + (1 | Subject), s))
out$factordays <- summ(tight(Reaction ~ factor(Days) + (1 | Subject), s))
out$userfun <- summ(tight(Reaction ~ Days + sq(Days) + (1 | Subject), s))
out$weights <- summ(tight(Reaction ~ Days + (Days | Subject), s, weighted = TRUE))
out$weights_ml <- summ(tight(Reaction ~ Days + (Days | Subject), s, REML = FALSE, weighted = TRUE))
sm <- s; sm$Reaction[c(2, 7, 51)] <- NA; sm$Days[100] <- NA
out$missing <- summ(tight(Reaction ~ Days + (Days | Subject), sm))
fit <- tight(Reaction ~ Days + (Days | Subject), s)
new <- data.frame(Days = c(0, 5, 9.5, 2), Subject = c("308", "new", "372", "333"))
out$predict_re <- unname(predict(fit, new, allow.new.levels = TRUE))
out$predict_fixed <- unname(predict(fit, new, re.form = NA))
fitsc <- tight(Reaction ~ scale(Days) + (1 | Subject), s)
out$predict_scale <- unname(predict(fitsc, data.frame(Days = c(0, 4.5, 20), Subject = c("308", "309", "310"))))
cv <- ranef(fit, condVar = TRUE)
out$condvar_slopes <- as.vector(attr(cv$Subject, "postVar")[, , c(1, 18)])
fdb <- tight(Reaction ~ Days + (Days || Subject), s)
cvd <- ranef(fdb, condVar = TRUE)
out$condvar_double <- lapply(attr(cvd$Subject, "postVar"), function(a) as.vector(a[, , c(1, 18)]))
pen <- tight(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin)
cvp <- ranef(pen, condVar = TRUE)
out$condvar_pen_plate <- as.vector(attr(cvp$plate, "postVar"))
out$condvar_pen_sample <- as.vector(attr(cvp$sample, "postVar"))
out$pen_plate_levels <- levels(Penicillin$plate)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/lme4_fidelity.json")
