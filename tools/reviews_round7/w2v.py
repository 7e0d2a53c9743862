import json
import time

import numpy as np
import rjieba
from gensim.models import Word2Vec

corpus = [l.rstrip("\n") for l in open("/tmp/h6/corpus.txt", encoding="utf-8")]
toks = [[w for w in rjieba.cut(t, hmm=False) if not w.isspace()] for t in corpus]
t=time.time()
m = Word2Vec(toks, vector_size=200, window=5, min_count=3, sg=1, negative=5, epochs=8, workers=1, seed=20261205)
print("w2v", len(m.wv), round(time.time()-t), flush=True)
json.dump(m.wv.index_to_key, open("/tmp/h6/w2v_vocab.json","w",encoding="utf-8"), ensure_ascii=False); np.save("/tmp/h6/w2v.npy", m.wv.vectors)
for q in ["假货","色差","不喜欢","质量"]:
    print(q, [w for w,_ in m.wv.most_similar(q, topn=8)])
chars = [list(t.replace(" ","")) for t in corpus]
t=time.time()
c = Word2Vec(chars, vector_size=100, window=3, min_count=3, sg=1, negative=5, epochs=5, workers=1, seed=20261205)
print("c2v", len(c.wv), round(time.time()-t), flush=True)
json.dump(c.wv.index_to_key, open("/tmp/h6/c2v_vocab.json","w",encoding="utf-8"), ensure_ascii=False); np.save("/tmp/h6/c2v.npy", c.wv.vectors)
