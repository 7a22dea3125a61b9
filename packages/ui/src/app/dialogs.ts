import { h } from './dom.js'

/**
 * A modal confirmation (native `<dialog>`: focus moves into it and stays, Escape cancels).
 * Resolves true only when the confirm button is chosen.
 */
export function confirmDialog(title: string, text: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const opener = document.activeElement as HTMLElement | null
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text', class: 'confirm' })
    const close = (answer: boolean) => {
      dialog.close()
      dialog.remove()
      opener?.focus()
      resolve(answer)
    }
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault()
      close(false)
    })
    const cancel = h('button', { type: 'button', onclick: () => close(false) }, 'Cancel')
    dialog.append(
      h('h2', { id: 'confirm-title' }, title),
      h('p', { id: 'confirm-text' }, text),
      h('div', { class: 'dialog-buttons' }, cancel, h('button', { type: 'button', class: 'danger', onclick: () => close(true) }, confirmLabel)),
    )
    document.body.append(dialog)
    dialog.showModal()
    // The safe choice has the focus, so that Enter alone never deletes.
    cancel.focus()
  })
}

/** The login form; resolves once the user has logged in. */
export function renderLogin(main: HTMLElement, onLogin: (user: string, password: string) => Promise<void>): void {
  const error = h('p', { role: 'alert', class: 'error' })
  const user = h('input', { id: 'user', name: 'username', autocomplete: 'username', required: true })
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true })
  main.replaceChildren(
    h('h1', { tabindex: '-1' }, 'Log in'),
    h('p', {}, 'This registry needs credentials: the same user and password as for docker login.'),
    h(
      'form',
      {
        class: 'login',
        onsubmit: async (e: Event) => {
          e.preventDefault()
          error.textContent = ''
          try {
            await onLogin(user.value, password.value)
          } catch (err) {
            error.textContent = (err as Error).message
            password.select()
          }
        },
      },
      h('label', { for: 'user' }, 'User'),
      user,
      h('label', { for: 'password' }, 'Password'),
      password,
      h('button', { type: 'submit' }, 'Log in'),
      error,
    ),
  )
  user.focus()
}
