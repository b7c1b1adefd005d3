// Gatehouse console: progressive enhancement only (every page works without this file).
// The copy button for a freshly issued API key, and a confirmation before a delete.
'use strict'
/* global document, navigator, window */
document.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const input = document.getElementById(button.getAttribute('data-copy'))
    const status = button.parentElement.querySelector('.copy-status')
    if (!input || !navigator.clipboard) continue
    button.hidden = false
    button.addEventListener('click', () => {
      navigator.clipboard.writeText(input.value).then(
        () => { if (status) status.textContent = 'Copied.' },
        () => { input.select(); if (status) status.textContent = 'Press Ctrl+C to copy.' },
      )
    })
  }
  for (const form of document.querySelectorAll('form[data-confirm]')) {
    form.addEventListener('submit', (event) => {
      if (!window.confirm(form.getAttribute('data-confirm'))) event.preventDefault()
    })
  }
  // Move focus to the error summary, so keyboard and screen-reader users land on what went wrong.
  const problem = document.getElementById('problem')
  if (problem) problem.focus()
})
