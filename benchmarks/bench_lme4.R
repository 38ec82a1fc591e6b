# Called by bench_lme4.py: Rscript bench_lme4.R <dir with manifest.json and CSVs> <repeat>.
# Prints JSON: per model the best elapsed time of lmer() with default settings and REMLcrit.
suppressMessages({library(lme4); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
manifest <- fromJSON(file.path(args[1], "manifest.json"), simplifyVector = FALSE)
repeat_n <- as.integer(args[2])
out <- lapply(manifest, function(m) {
  data <- read.csv(m$csv, stringsAsFactors = TRUE)
  f <- as.formula(m$formula)
  reps <- if (nrow(data) > 50000) 1 else repeat_n
  times <- numeric(reps)
  for (i in seq_len(reps)) {
    t0 <- proc.time()[["elapsed"]]
    fit <- suppressMessages(suppressWarnings(lmer(f, data)))
    times[i] <- proc.time()[["elapsed"]] - t0
  }
  list(name = m$name, time = min(times), criterion = REMLcrit(fit))
})
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
