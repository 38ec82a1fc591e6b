suppressMessages({library(nlme); library(jsonlite)})
ctrl <- lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12,
                   msTol = 1e-14, msMaxEval = 5000, returnObject = TRUE)
gctrl <- glsControl(maxIter = 1000, msMaxIter = 1000, tolerance = 1e-12, msTol = 1e-14, returnObject = TRUE)
summ <- function(fit) {
  out <- list(fixef = as.list(if (inherits(fit, "gls")) coef(fit) else fixef(fit)),
       sigma2 = fit$sigma^2, loglik = as.numeric(logLik(fit)))
  if (!inherits(fit, "gls")) {
    vc <- getVarCov(fit)
    out$varcov <- as.vector(vc)
  }
  cs <- fit$modelStruct$corStruct
  if (!is.null(cs)) out$phi <- as.numeric(coef(cs, unconstrained = FALSE))
  vs <- fit$modelStruct$varStruct
  if (!is.null(vs)) out$ratios <- as.list(coef(vs, unconstrained = FALSE, allCoef = TRUE))
  out
}
ss <- lme4::sleepstudy
out <- list()
for (m in c("REML", "ML")) {
  out[[paste0("sleep_ar1_", m)]] <- summ(lme(Reaction ~ Days, random = ~ 1 | Subject,
     correlation = corAR1(form = ~ 1 | Subject), data = ss, method = m, control = ctrl))
  out[[paste0("bw_car1_", m)]] <- summ(lme(weight ~ Time * Diet, random = ~ Time | Rat,
     correlation = corCAR1(form = ~ Time | Rat), data = BodyWeight, method = m, control = ctrl))
  out[[paste0("orth_varident_", m)]] <- summ(lme(distance ~ age * Sex, random = ~ 1 | Subject,
     weights = varIdent(form = ~ 1 | Sex), data = Orthodont, method = m, control = ctrl))
  out[[paste0("ovary_gls_", m)]] <- summ(gls(follicles ~ sin(2 * pi * Time) + cos(2 * pi * Time),
     correlation = corAR1(form = ~ 1 | Mare), data = Ovary, method = m, control = gctrl))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/nlme_residual.json")
bw <- as.data.frame(BodyWeight); bw$Rat <- as.character(bw$Rat)
write.csv(data.frame(weight = bw$weight, Time = bw$Time, Rat = bw$Rat, Diet = as.character(bw$Diet)), "lmmtext/data/bodyweight.csv", row.names = FALSE)
o <- as.data.frame(Orthodont)
write.csv(data.frame(distance = o$distance, age = o$age, Subject = as.character(o$Subject), Sex = as.character(o$Sex)), "lmmtext/data/orthodont.csv", row.names = FALSE)
ov <- as.data.frame(Ovary)
write.csv(data.frame(Mare = as.character(ov$Mare), Time = ov$Time, follicles = ov$follicles), "lmmtext/data/ovary.csv", row.names = FALSE)
print(levels(BodyWeight$Diet)); print(levels(Orthodont$Sex)); print(head(Orthodont$Sex)); print(levels(BodyWeight$Rat)[1:5]); print(levels(Ovary$Mare))
