import os
import pickle
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
os.environ.setdefault("SHOUHOU_DATA_DIR", "/tmp/h6")
import django; django.setup()
from pathlib import Path

from shouhou.reviews.classifier import features as F
from shouhou.reviews.classifier import training as T

t=time.time()
rows = T.load_rows(Path("/work/shared/data/reviews/online_shopping_train.csv"))
lab = T.load_labelled(rows)
print(len(rows), len(lab), time.time()-t)
test_keys = {r.key for r in lab if r.split=="test"}
# unlabelled corpus: every CSV review except the test split's texts, plus chat openings not in test
test_texts = {r.text for r in lab if r.split=="test"}
corpus = [r.text for r in rows if r.text and r.text not in test_texts]
corpus += [r.text for r in lab if r.source!="review" and r.split!="test"]
print("corpus", len(corpus))
toks = [[w for w in F._cut(t, hmm=False) if not w.isspace()] for t in corpus]
print("cut", time.time()-t)
pickle.dump({"rows": rows, "lab": lab, "corpus": corpus, "toks": toks}, open("/tmp/h6/prep.pkl","wb"))
