import os
import pickle
import time

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
os.environ.setdefault("SHOUHOU_DATA_DIR", "/tmp/h6")
import django; django.setup()
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from shouhou.reviews.classifier import training as T
from shouhou.reviews.classifier.evaluation_metrics import accuracy, macro_f1
from shouhou.reviews.classifier.model import SEED, ReviewModel

d = pickle.load(open("/tmp/h6/prep.pkl","rb")); D = pickle.load(open("/tmp/h6/dense.pkl","rb"))
lab = d["lab"]
train = [r for r in lab if r.split=="train" and r.reader not in T.LEFT_OUT_READERS]
dev = [r for r in lab if r.split=="dev"]
devrev = [i for i,r in enumerate(dev) if r.source=="review"]
oof = np.load("/tmp/h6/oof.npy"); S0 = np.load("/tmp/h6/S0.npy"); classes = pickle.load(open("/tmp/h6/classes.pkl","rb"))
ytr = np.array([r.main for r in train]); truth=[r.main for r in dev]
m = ReviewModel(None,None,0.0,None,None,None,[str(c) for c in classes])
def report(S, tag):
    pred=[p for p,_ in m.complaint_sets(S, [r.text for r in dev])]
    rt=[truth[i] for i in devrev]; rp=[pred[i] for i in devrev]
    print(f"{tag:55s} dev reviews {accuracy(rt,rp):.4f} / {macro_f1(rt,rp,m.comp_classes):.4f}   all {accuracy(truth,pred):.4f} / {macro_f1(truth,pred,m.comp_classes):.4f}", flush=True)
report(S0, "baseline SVM")
def z(S): return (S - S.mean(1, keepdims=True)) / S.std(1, keepdims=True)
# stacker: OOF SVM scores + dense vectors -> multinomial model; mixed with the SVM's z-scores
feats = {
 "scores": (oof, S0),
 "scores+words": (np.hstack([oof, D["Dtr_w"]]), np.hstack([S0, D["Ddv_w"]])),
 "scores+words+chars+first": (np.hstack([oof, D["Dtr_w"], D["Dtr_c"], D["ftr"]]), np.hstack([S0, D["Ddv_w"], D["Ddv_c"], D["fdv"]])),
}
for name,(A,B) in feats.items():
    for kind in ("lr","mlp"):
        t=time.time()
        if kind=="lr":
            clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=SEED)
            clf.fit(A, ytr)
        else:
            if name=="scores": continue
            clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=1e-3, max_iter=60, early_stopping=True, random_state=SEED)
            clf.fit(A, ytr)
        assert list(clf.classes_)==list(classes)
        P = clf.predict_log_proba(B)
        report(P, f"{kind} on {name} alone ({time.time()-t:.0f}s)")
        for mix in (0.2,0.35,0.5):
            report((1-mix)*z(S0)+mix*z(P), f"  SVM + {kind} on {name}, mix {mix}")
