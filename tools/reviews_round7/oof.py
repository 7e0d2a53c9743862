import os
import pickle
import time

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
os.environ.setdefault("SHOUHOU_DATA_DIR", "/tmp/h6")
import django; django.setup()
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from shouhou.reviews.classifier import training as T
from shouhou.reviews.classifier.model import SEED, FeatureSpec

d = pickle.load(open("/tmp/h6/prep.pkl","rb"))
lab = d["lab"]
train = [r for r in lab if r.split=="train" and r.reader not in T.LEFT_OUT_READERS]
y = np.array([r.main for r in train]); texts=[r.text for r in train]
oof = None
for k,(a,b) in enumerate(StratifiedKFold(5, shuffle=True, random_state=SEED).split(texts, y)):
    t=time.time()
    spec = FeatureSpec.fit([texts[i] for i in a], ngrams=(1,3), words=True, first_weight=0.5)
    svm = LinearSVC(C=0.5, class_weight="balanced", random_state=SEED, max_iter=5000).fit(spec.transform([texts[i] for i in a]), y[a])
    S = svm.decision_function(spec.transform([texts[i] for i in b]))
    if oof is None: oof = np.zeros((len(texts), S.shape[1]), np.float32); classes=list(svm.classes_)
    oof[b]=S; print("fold",k,round(time.time()-t), flush=True)
np.save("/tmp/h6/oof.npy", oof); pickle.dump(classes, open("/tmp/h6/classes.pkl","wb"))
