"""Chinese text analysis for intake screening: tokens, abuse, category, priority, duplicates.

Every function here is pure over text. Dictionaries, lexicons and the classifier's
coefficients are loaded lazily on first use (thread-safe), never at import time.

Modules:
- ``tokenize``: jieba-rs with the e-commerce user dictionary; tokens, CJK bigrams, FTS terms.
- ``lexicon``: abuse/insult/threat lexicon (Aho-Corasick); find, mask, decide.
- ``classify``: category = rules lexicon + linear model (coefficients stored as JSON).
- ``priority``: urgent/high/normal/low hints with reason codes.
- ``dedup``: 64-bit SimHash fingerprints, band keys for indexed lookup, in-memory index.
"""
