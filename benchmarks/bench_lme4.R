# Called by bench_lme4.py: Rscript bench_lme4.R <dir with manifest.json and CSVs> <repeat>.
# Prints JSON: per model the best elapsed and CPU time of lmer() with default settings, and REMLcrit.
suppressMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
manifest <- fromJSON(file.path(args[1], "manifest.json"), simplifyVector = FALSE)
repeat_n <- as.integer(args[2])
out <- lapply(manifest, function(m) {
  data <- read.csv(m$csv, stringsAsFactors = TRUE)
  f <- as.formula(m$formula)
  reps <- if (nrow(data) > 50000) 1 else repeat_n
  wall <- cpu <- numeric(reps)
  for (i in seq_len(reps)) {
    t0 <- proc.time()
    fit <- suppressMessages(suppressWarnings(lmer(f, data)))
    t1 <- proc.time() - t0
    wall[i] <- t1[["elapsed"]]
    cpu[i] <- t1[["user.self"]] + t1[["sys.self"]]
  }
  list(name = m$name, time = min(wall), cpu = min(cpu), criterion = REMLcrit(fit))
})
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
