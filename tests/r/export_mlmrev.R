# Export mlmRev's Exam and ScotsSec to lmmtext/data/ (run from the repository root).
# mlmRev 1.0-8, lme4 1.1-31, R 4.2.2 (Debian r-cran-mlmrev).  write.csv writes 15
# significant digits; factors are written as their labels, and lmmtext.datasets
# restores R's level order (see load_exam and load_scotssec).
suppressMessages(library(mlmRev))
write.csv(Exam, "lmmtext/data/exam.csv", row.names = FALSE)
write.csv(ScotsSec, "lmmtext/data/scotssec.csv", row.names = FALSE)
