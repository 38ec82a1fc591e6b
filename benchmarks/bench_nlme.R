# Called by bench_nlme.py: Rscript bench_nlme.R <repeat>.  Times nlme's lme/gls with residual
# structures on its own data sets (default settings, REML) and prints JSON: best elapsed and CPU
# seconds and the REML log-likelihood per model.
suppressMessages({library(nlme); library(jsonlite)})
repeat_n <- as.integer(commandArgs(trailingOnly = TRUE)[1])
models <- list(
  "Ovary, AR1 + (1 | Mare)" = function() lme(follicles ~ sin(2 * pi * Time) + cos(2 * pi * Time),
      random = ~ 1 | Mare, correlation = corAR1(form = ~ 1 | Mare), data = Ovary),
  "Ovary, gls with AR1" = function() gls(follicles ~ sin(2 * pi * Time) + cos(2 * pi * Time),
      correlation = corAR1(form = ~ 1 | Mare), data = Ovary),
  "BodyWeight, CAR1 + (Time | Rat)" = function() lme(weight ~ Time * Diet, random = ~ Time | Rat,
      correlation = corCAR1(form = ~ Time | Rat), data = BodyWeight),
  "Orthodont, VarIdent + (1 | Subject)" = function() lme(distance ~ age * Sex, random = ~ 1 | Subject,
      weights = varIdent(form = ~ 1 | Sex), data = Orthodont),
  "sleepstudy, AR1 + (1 | Subject)" = function() lme(Reaction ~ Days, random = ~ 1 | Subject,
      correlation = corAR1(form = ~ 1 | Subject), data = lme4::sleepstudy)
)
out <- lapply(names(models), function(name) {
  wall <- cpu <- numeric(repeat_n)
  for (i in seq_len(repeat_n)) {
    t0 <- proc.time(); fit <- models[[name]](); t1 <- proc.time() - t0
    wall[i] <- t1[["elapsed"]]; cpu[i] <- t1[["user.self"]] + t1[["sys.self"]]
  }
  list(name = name, time = min(wall), cpu = min(cpu), loglik = as.numeric(logLik(fit)))
})
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
