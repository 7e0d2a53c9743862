import os
import pickle

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
os.environ.setdefault("SHOUHOU_DATA_DIR", "/tmp/h6")
import django; django.setup()
from sklearn.neural_network import MLPClassifier

from shouhou.reviews.classifier import training as T
from shouhou.reviews.classifier.evaluation_metrics import accuracy, macro_f1
from shouhou.reviews.classifier.model import SEED, ReviewModel

d = pickle.load(open("/tmp/h6/prep.pkl","rb")); D = pickle.load(open("/tmp/h6/dense.pkl","rb")); E = pickle.load(open("/tmp/h6/emb.pkl","rb"))
lab = d["lab"]
train = [r for r in lab if r.split=="train" and r.reader not in T.LEFT_OUT_READERS]
dev = [r for r in lab if r.split=="dev"]
oof = np.load("/tmp/h6/oof.npy"); S0 = np.load("/tmp/h6/S0.npy"); classes = pickle.load(open("/tmp/h6/classes.pkl","rb"))
ytr = np.array([r.main for r in train])
m = ReviewModel(None,None,0.0,None,None,None,[str(c) for c in classes])
def z(S): return (S - S.mean(1, keepdims=True)) / S.std(1, keepdims=True)
def report(S, rows, tag):
    truth=[r.main for r in rows]; idx=[i for i,r in enumerate(rows) if r.source=="review"]
    pred=[p for p,_ in m.complaint_sets(S, [r.text for r in rows])]
    rt=[truth[i] for i in idx]; rp=[pred[i] for i in idx]
    print(f"{tag:55s} reviews {accuracy(rt,rp):.4f} / {macro_f1(rt,rp,m.comp_classes):.4f}   all {accuracy(truth,pred):.4f} / {macro_f1(truth,pred,m.comp_classes):.4f}", flush=True)
A = np.hstack([oof, D["Dtr_w"], D["Dtr_c"], D["ftr"]]); B = np.hstack([S0, D["Ddv_w"], D["Ddv_c"], D["fdv"]])
def mlp(seed, X): return MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=60, early_stopping=True, random_state=seed).fit(X, ytr)
# 1) is it the dense vectors or the MLP? MLP on the scores alone
c = mlp(SEED, oof); P = c.predict_log_proba(S0)
report(P, dev, "DEV mlp on scores alone"); report(0.5*z(S0)+0.5*z(P), dev, "DEV  SVM + mlp on scores alone, mix 0.5")
# 2) seed stability of the chosen cell
for seed in (1, 2):
    c = mlp(seed, A); P = c.predict_log_proba(B)
    report(P, dev, f"DEV mlp dense, seed {seed}"); report(0.5*z(S0)+0.5*z(P), dev, f"DEV  SVM + mlp dense seed {seed}, mix 0.5")
