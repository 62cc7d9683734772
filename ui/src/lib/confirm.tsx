// One modal dialog for confirmations. On a protected environment every change goes through guard(), which
// names the thing being changed and the environment before anything is sent.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";

export interface ConfirmRequest {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
}

type Ask = (r: ConfirmRequest) => Promise<boolean>;
const Ctx = createContext<Ask>(() => Promise.resolve(true));

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [req, setReq] = useState<(ConfirmRequest & { resolve: (ok: boolean) => void }) | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const ask = useCallback<Ask>((r) => new Promise((resolve) => setReq({ ...r, resolve })), []);
  useEffect(() => {
    if (req && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [req]);
  const close = (ok: boolean) => {
    dialog.current?.close();
    req?.resolve(ok);
    setReq(null);
  };
  return (
    <Ctx.Provider value={ask}>
      {children}
      {req && (
        <dialog ref={dialog} className="confirm" aria-labelledby="confirm-title" onCancel={() => close(false)}>
          <h2 id="confirm-title">{req.title}</h2>
          <div className="confirm-body">{req.body}</div>
          <div className="actions">
            <button type="button" onClick={() => close(false)}>
              Cancel
            </button>
            <button type="button" className={req.danger ? "danger" : "primary"} onClick={() => close(true)}>
              {req.confirmLabel}
            </button>
          </div>
        </dialog>
      )}
    </Ctx.Provider>
  );
}

export const useConfirm = () => useContext(Ctx);
