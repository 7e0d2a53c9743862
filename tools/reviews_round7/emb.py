import pickle
import time
from collections import Counter

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from sklearn.utils.extmath import randomized_svd

d = pickle.load(open("/tmp/h6/prep.pkl","rb"))
def ppmi_svd(seqs, min_count, window, dim, name):
    t=time.time()
    cnt = Counter(w for s in seqs for w in s)
    vocab = {w:i for i,(w,c) in enumerate(sorted(cnt.items(), key=lambda x:-x[1])) if c>=min_count}
    V=len(vocab); rows=[]; cols=[]; vals=[]
    for s in seqs:
        ids=[vocab.get(w,-1) for w in s]
        n=len(ids)
        for i,a in enumerate(ids):
            if a<0: continue
            for k in range(1,window+1):
                if i+k>=n: break
                b=ids[i+k]
                if b<0: continue
                wt=1.0/k
                rows+= [a,b]; cols+=[b,a]; vals+=[wt,wt]
    M = coo_matrix((np.array(vals,dtype=np.float32),(np.array(rows),np.array(cols))),shape=(V,V)).tocsr()
    M.sum_duplicates()
    tot=M.sum(); rs=np.asarray(M.sum(1)).ravel(); cs=np.asarray(M.sum(0)).ravel()**0.75; cs/=cs.sum()
    M=M.tocoo()
    pmi=np.log(M.data/ (rs[M.row]/tot) / cs[M.col] / tot)
    keep=pmi>0
    P=csr_matrix((pmi[keep].astype(np.float32),(M.row[keep],M.col[keep])),shape=(V,V))
    U,S,_=randomized_svd(P,dim,n_iter=5,random_state=20261205)
    W=(U*np.sqrt(S)).astype(np.float32)
    print(name,"V",V,"nnz",P.nnz,"time",round(time.time()-t,1))
    return vocab,W
wv=ppmi_svd(d["toks"],5,5,200,"words")
cv=ppmi_svd([list(t.replace(" ","")) for t in d["corpus"]],3,3,100,"chars")
pickle.dump({"words":wv,"chars":cv},open("/tmp/h6/emb.pkl","wb"))
# sanity: nearest neighbours
vocab,W=wv; inv={i:w for w,i in vocab.items()}
Wn=W/np.linalg.norm(W,axis=1,keepdims=True).clip(1e-6)
for q in ["假货","色差","快递","不喜欢","质量","客服","退货"]:
    if q in vocab:
        s=Wn@Wn[vocab[q]]; print(q,[inv[j] for j in np.argsort(-s)[1:9]])
