import os
import pickle
import time

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
os.environ.setdefault("SHOUHOU_DATA_DIR", "/tmp/h6")
import django; django.setup()
from scipy.sparse import csr_matrix, hstack
from sklearn.svm import LinearSVC

from shouhou.reviews.classifier import features as F
from shouhou.reviews.classifier import training as T
from shouhou.reviews.classifier.evaluation_metrics import accuracy, macro_f1
from shouhou.reviews.classifier.model import SEED, FeatureSpec, ReviewModel

d = pickle.load(open("/tmp/h6/prep.pkl","rb")); E = pickle.load(open("/tmp/h6/emb.pkl","rb"))
lab = d["lab"]
train = [r for r in lab if r.split=="train" and r.reader not in T.LEFT_OUT_READERS]
dev = [r for r in lab if r.split=="dev"]
devrev = [i for i,r in enumerate(dev) if r.source=="review"]
t=time.time()
spec = FeatureSpec.fit([r.text for r in train], ngrams=(1,3), words=True, first_weight=0.5)
Xtr = spec.transform([r.text for r in train]); Xdv = spec.transform([r.text for r in dev])
print("features", round(time.time()-t,1), Xtr.shape, flush=True)
ytr = [r.main for r in train]
# idf of words from the train texts (for weighting the average)
wvocab, WV = E["words"]; cvocab, CV = E["chars"]
def cut(t): return [w for w in F._cut(t, hmm=False) if not w.isspace()]
trtok = [cut(r.text) for r in train]; dvtok = [cut(r.text) for r in dev]
from collections import Counter

df = Counter(w for s in trtok for w in set(s)); N=len(trtok)
def idf(w): return np.log((1+N)/(1+df.get(w,0)))+1
def dense(toks, vocab, W, weighted=True):
    out = np.zeros((len(toks), W.shape[1]), np.float32)
    for k,s in enumerate(toks):
        ids=[vocab[w] for w in s if w in vocab]
        if not ids: continue
        wts=np.array([idf(w) if weighted else 1.0 for w in s if w in vocab],np.float32)
        v=(wts[:,None]*W[ids]).sum(0)
        n=np.linalg.norm(v); out[k]= v/n if n>0 else v
    return out
Dtr_w = dense(trtok, wvocab, WV); Ddv_w = dense(dvtok, wvocab, WV)
Dtr_c = dense([list(r.text.replace(" ","")) for r in train], cvocab, CV, False); Ddv_c = dense([list(r.text.replace(" ","")) for r in dev], cvocab, CV, False)
# first clause word vectors
ftr = dense([cut(t) for t in F.first_clauses([r.text for r in train])], wvocab, WV); fdv = dense([cut(t) for t in F.first_clauses([r.text for r in dev])], wvocab, WV)
pickle.dump(dict(Dtr_w=Dtr_w,Ddv_w=Ddv_w,Dtr_c=Dtr_c,Ddv_c=Ddv_c,ftr=ftr,fdv=fdv),open("/tmp/h6/dense.pkl","wb"))
m = ReviewModel(None,None,0.0,spec,None,None,[])
def score(Xa, Xb, C=0.5, tag=""):
    t=time.time()
    svm = LinearSVC(C=C, class_weight="balanced", random_state=SEED, max_iter=5000).fit(Xa, ytr)
    m.comp_classes=[str(c) for c in svm.classes_]
    S = svm.decision_function(Xb)
    pred=[p for p,_ in m.complaint_sets(S, [r.text for r in dev])]
    truth=[r.main for r in dev]
    rt=[truth[i] for i in devrev]; rp=[pred[i] for i in devrev]
    print(f"{tag:40s} dev reviews {accuracy(rt,rp):.4f} / {macro_f1(rt,rp,m.comp_classes):.4f}   all {accuracy(truth,pred):.4f} / {macro_f1(truth,pred,m.comp_classes):.4f}  ({time.time()-t:.0f}s)", flush=True)
    return S, svm
S0,_ = score(Xtr, Xdv, tag="D recipe (baseline)")
np.save("/tmp/h6/S0.npy", S0)
for name,(A,B) in {"words-avg":(Dtr_w,Ddv_w),"chars-avg":(Dtr_c,Ddv_c),"words+chars":(np.hstack([Dtr_w,Dtr_c]),np.hstack([Ddv_w,Ddv_c])),"words+first":(np.hstack([Dtr_w,ftr]),np.hstack([Ddv_w,fdv]))}.items():
    for w in (0.3,0.6,1.0):
        score(hstack([Xtr, csr_matrix(A*w)],format="csr"), hstack([Xdv, csr_matrix(B*w)],format="csr"), tag=f"+{name} x{w}")
