import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError } from '../../../shared/errors';

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  message: string;
  /** Optional action button. */
  action?: { label: string; run: () => void };
}

/** Messages in the corner: errors as readable sentences (ApiError.message), never stacks. */
export const useToasts = defineStore('toasts', () => {
  const items = ref<Toast[]>([]);
  let next = 1;

  function push(kind: Toast['kind'], message: string, options: { action?: Toast['action']; timeout?: number } = {}): number {
    const id = next++;
    items.value = [...items.value.slice(-4), { id, kind, message, action: options.action }];
    const timeout = options.timeout ?? (kind === 'error' ? 9000 : 4500);
    if (timeout > 0) setTimeout(() => dismiss(id), timeout);
    return id;
  }

  function dismiss(id: number): void {
    items.value = items.value.filter((t) => t.id !== id);
  }

  /** Shows what went wrong; returns the message for inline display too. */
  function error(e: unknown, prefix?: string): string {
    const message = ApiError.from(e).message;
    push('error', prefix ? `${prefix}: ${message}` : message);
    return message;
  }

  return { items, push, dismiss, error, success: (m: string) => push('success', m), info: (m: string) => push('info', m) };
});
