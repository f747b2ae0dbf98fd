package dev.offramp.bench.eval;

/**
 * Teacher-forced quality of an exit rule: every position of the text is fed, and each exits where the rule says.
 *
 * @param tokens          positions scored (each against the next token of the text)
 * @param meanExitLayer   mean over positions of the layer the rule exited after
 * @param perplexity      exp(mean negative log-likelihood) of the exited distributions
 * @param fullPerplexity  the same at full depth
 * @param argmaxAgreement fraction of positions whose exited argmax equals full depth's
 */
record TeacherResult(long tokens, double meanExitLayer, double perplexity, double fullPerplexity,
                     double argmaxAgreement) {}
