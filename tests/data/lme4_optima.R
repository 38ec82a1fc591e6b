# Tightly converged lme4 optima quoted in tests/test_optimum.py (run from the repository root:
# Rscript tests/data/lme4_optima.R).  Two optimisers with tight settings; the better criterion is kept.
suppressMessages({library(lme4); library(jsonlite)})
tight <- function(formula, data, REML) {
  fits <- list(
    lmer(formula, data, REML = REML, control = lmerControl(
      optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-16),
      calc.derivs = FALSE, check.conv.singular = "ignore")),
    lmer(formula, data, REML = REML, control = lmerControl(
      optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5),
      calc.derivs = FALSE, check.conv.singular = "ignore")))
  crit <- sapply(fits, function(f) if (REML) REMLcrit(f) else deviance(f))
  best <- fits[[which.min(crit)]]
  # Restart bobyqa from the best theta with a small initial radius until the criterion
  # stops falling (on flat criteria such as BodyWeight's one restart moves theta by 5e-6).
  for (i in 1:5) {
    again <- lmer(formula, data, REML = REML, start = getME(best, "theta"), control = lmerControl(
      optimizer = "bobyqa", optCtrl = list(rhobeg = 1e-4, rhoend = 1e-12, maxfun = 1e5),
      calc.derivs = FALSE, check.conv.singular = "ignore"))
    value <- if (REML) REMLcrit(again) else deviance(again)
    if (!(value < min(crit))) break
    crit <- c(crit, value)
    best <- again
  }
  list(criterion = min(crit), theta = unname(getME(best, "theta")))
}
sleep <- sleepstudy
sleep$Subject <- as.character(sleep$Subject)
repro <- subset(sleep, Subject %in% c("332", "334", "352", "369", "371"))
ox <- read.csv("tests/data/oxboys.csv", colClasses = c(Subject = "character"))
hsb <- read.csv("tests/data/hsb82.csv", colClasses = c(school = "character"))
orth <- read.csv("lmmtext/data/orthodont.csv")
bw <- read.csv("lmmtext/data/bodyweight.csv", colClasses = c(Rat = "character", Diet = "character"))
mach <- read.csv("tests/data/machines.csv", colClasses = c(Worker = "character"))
models <- list(
  dyestuff_REML = list(Yield ~ 1 + (1 | Batch), Dyestuff, TRUE),
  dyestuff_ML = list(Yield ~ 1 + (1 | Batch), Dyestuff, FALSE),
  dyestuff2_REML = list(Yield ~ 1 + (1 | Batch), Dyestuff2, TRUE),
  sleepstudy_REML = list(Reaction ~ Days + (Days | Subject), sleep, TRUE),
  sleepstudy_ML = list(Reaction ~ Days + (Days | Subject), sleep, FALSE),
  sleepstudy_uncorrelated_REML = list(Reaction ~ Days + (1 | Subject) + (0 + Days | Subject), sleep, TRUE),
  penicillin_REML = list(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin, TRUE),
  penicillin_ML = list(diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin, FALSE),
  pastes_REML = list(strength ~ 1 + (1 | batch) + (1 | sample), Pastes, TRUE),
  pastes_sample_REML = list(strength ~ 1 + (1 | sample), Pastes, TRUE),
  issue14_reproduction_REML = list(Reaction ~ Days + (Days | Subject), repro, TRUE),
  oxboys_REML = list(height ~ age + (age | Subject), ox, TRUE),
  hsb82_REML = list(mAch ~ meanses + cses + (1 + cses | school), hsb, TRUE),
  pastes_cask_REML = list(strength ~ 1 + (1 | batch) + (1 | cask), Pastes, TRUE),
  sleepstudy_no_fixed_slope_REML = list(Reaction ~ 1 + (Days | Subject), sleep, TRUE),
  sleepstudy_intercept_REML = list(Reaction ~ Days + (1 | Subject), sleep, TRUE),
  sleepstudy_log_quadratic_REML = list(log(Reaction) ~ Days + I(Days^2) + (Days | Subject), sleep, TRUE),
  orthodont_REML = list(distance ~ age * Sex + (1 | Subject), orth, TRUE),
  bodyweight_REML = list(weight ~ Time * Diet + (Time | Rat), bw, TRUE),
  bodyweight_ML = list(weight ~ Time * Diet + (Time | Rat), bw, FALSE),
  machines_REML = list(score ~ Machine + (0 + Machine | Worker), mach, TRUE),
  machines_nested_REML = list(score ~ Machine + (1 | Worker/Machine), mach, TRUE))
slopes <- read.csv("tests/data/singular_slopes.csv")
for (d in sort(unique(slopes$design))) {
  models[[sprintf("singular_slopes_%d_REML", d)]] <- list(y ~ x + (x | g), subset(slopes, design == d), TRUE)
  models[[sprintf("singular_slopes_%d_ML", d)]] <- list(y ~ x + (x | g), subset(slopes, design == d), FALSE)
}
out <- lapply(models, function(m) tight(m[[1]], m[[2]], m[[3]]))
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "\n")
